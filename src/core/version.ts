/** The tool's identity in reports (the bundler inlines package.json). */
import pkg from '../../package.json';

export const TOOL_NAME = 'sparsity-lens';
export const TOOL_VERSION: string = pkg.version;
