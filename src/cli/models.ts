/**
 * `--model` resolution and the `models` subcommands. A model argument is a local file; other
 * sources (torchvision export, catalog, URL) resolve into the model cache first.
 */
import type { Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import type { Preprocessing } from '../core/types';
import { UserError } from '../core/types';

export interface ResolvedModel {
  path: string;
  /** Where it came from, for the report. */
  source?: string;
  /** Preprocessing that travels with a cached/catalog model. */
  preprocessing?: Partial<Preprocessing>;
}

export async function resolveModelArgument(arg: string, _o: { onLog(line: string): void }): Promise<ResolvedModel> {
  const p = path.resolve(arg);
  if (!fs.existsSync(p)) {
    throw new UserError(`Model file ${p} does not exist. Pass an .onnx file or a TF.js model.json.`, 'E_MODEL');
  }
  return { path: p, source: `file:${p}` };
}

export function registerModelCommands(_program: Command): void {
  // Model cache commands are registered once the model sources land.
}
