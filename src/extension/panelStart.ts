/**
 * A panel whose page never starts is loaded again (no `vscode` import: unit-tested in
 * test/extension/panelStart.test.ts; wired to the webview in panelWebview.ts).
 *
 * Why: in VS Code for the web (code-server), a webview's first page can load before the
 * webview's service worker controls it ("Found unexpected service worker controller … Waiting
 * for controllerchange" in the console); its script request then goes to the network as
 * https://…vscode-resource.vscode-cdn.net/… and fails (offline: ERR_NAME_NOT_RESOLVED), and the
 * panel stays blank for good. Setting the page again once the worker is in control loads it. The
 * page says it started with its first message ('ready', src/shared/protocol.ts).
 *
 * Only time while the panel is visible counts: VS Code does not load a hidden webview's page.
 */

export interface PanelStartTarget {
  /** Whether the panel is visible now. */
  visible(): boolean;
  /** Calls `listener` when the panel's visibility may have changed; returns an unsubscribe. */
  onVisibilityChange(listener: () => void): () => void;
  /** Sets the page again (a new nonce, so VS Code does not skip an identical page). */
  reload(): void;
  /** Every attempt failed: say so (the panel is blank). */
  giveUp(attempts: number): void;
  /** A line for the output channel. */
  log(message: string): void;
}

export interface PanelStartOptions {
  /** Visible time the page may take to send its first message. */
  timeoutMs: number;
  /** Pages set in all (the first included) before giving up. */
  attempts: number;
}

export const PANEL_START_DEFAULTS: PanelStartOptions = { timeoutMs: 10_000, attempts: 3 };

/** Watches one panel's start; call started() on the page's first message, dispose() with the panel. */
export function watchPanelStart(target: PanelStartTarget, options: PanelStartOptions = PANEL_START_DEFAULTS): { started(): void; dispose(): void } {
  let attempt = 1;
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const stopTimer = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  const arm = () => {
    stopTimer();
    if (done || !target.visible()) return; // re-armed when the panel is shown
    timer = setTimeout(expired, options.timeoutMs);
  };
  const expired = () => {
    timer = undefined;
    if (done) return;
    if (!target.visible()) return;
    if (attempt >= options.attempts) {
      done = true;
      unsubscribe();
      target.giveUp(attempt);
      return;
    }
    attempt++;
    target.log(`The panel's page did not start within ${Math.round(options.timeoutMs / 1000)} s; loading it again (attempt ${attempt} of ${options.attempts}).`);
    target.reload();
    arm();
  };
  const unsubscribe = target.onVisibilityChange(() => {
    if (done) return;
    if (target.visible()) {
      if (!timer) arm();
    } else stopTimer();
  });
  arm();
  return {
    started() {
      if (done) return;
      done = true;
      stopTimer();
      unsubscribe();
      if (attempt > 1) target.log(`The panel's page started on attempt ${attempt}.`);
    },
    dispose() {
      done = true;
      stopTimer();
      unsubscribe();
    },
  };
}
