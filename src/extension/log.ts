/** The "Sparsity Lens" output channel (a log channel: timestamps and levels). */
import * as vscode from 'vscode';

export interface Logger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
  show(): void;
}

export function createLogger(): Logger & vscode.Disposable {
  const ch = vscode.window.createOutputChannel('Sparsity Lens', { log: true });
  return {
    info: (l) => ch.info(l),
    warn: (l) => ch.warn(l),
    error: (l) => ch.error(l),
    show: () => ch.show(true),
    dispose: () => ch.dispose(),
  };
}
