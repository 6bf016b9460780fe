/**
 * End-to-end harness: a real VS Code workbench (code-server 4.100.x, VS Code 1.100, with a real
 * Node extension host) driven by playwright-core against Debian's chromium, offline.
 * Recipe: ../shared/E2E.md. Installation: scripts/e2e-setup.sh (cached in .e2e-cache/).
 *
 * Everything here fails loudly: a missing tool, file or UI element is an error with a message
 * saying what was expected, never a skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '..', '..');
export const OUT = path.join(ROOT, 'test-output', 'e2e');
export const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';

fs.mkdirSync(OUT, { recursive: true });

// ---------------------------------------------------------------- timing / logging
const t0 = Date.now();
const timings: { label: string; ms: number }[] = [];
export function log(msg: string): void {
  const s = ((Date.now() - t0) / 1000).toFixed(1).padStart(6);
  console.log(`[e2e ${s}s] ${msg}`);
}
export async function timed<T>(label: string, fn: () => Promise<T> | T): Promise<T> {
  const start = Date.now();
  log(`${label} ...`);
  try {
    return await fn();
  } finally {
    const ms = Date.now() - start;
    timings.push({ label, ms });
    log(`${label}: ${(ms / 1000).toFixed(1)} s`);
  }
}
export function printTimings(): void {
  if (!timings.length) return;
  const lines = timings.map((t) => `  ${(t.ms / 1000).toFixed(1).padStart(7)} s  ${t.label}`);
  const text = `e2e timings (total ${((Date.now() - t0) / 1000).toFixed(1)} s):\n${lines.join('\n')}`;
  console.log(text);
  fs.appendFileSync(path.join(OUT, 'timings.txt'), text + '\n');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs a command to completion; throws with the tail of its output when it fails. */
export function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; stdoutOnly?: boolean } = {}): string {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 15 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error || r.status !== 0) {
    const tail = out.split('\n').slice(-60).join('\n');
    throw new Error(`\`${cmd} ${args.join(' ')}\` failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}):\n${tail}`);
  }
  return opts.stdoutOnly ? (r.stdout ?? '') : out;
}

// ---------------------------------------------------------------- install / package
/** Installs (once) code-server and the Debian packages; returns the code-server binary. */
export function ensureCodeServer(): string {
  const out = sh('bash', [path.join(ROOT, 'scripts', 'e2e-setup.sh')], { timeoutMs: 20 * 60_000, stdoutOnly: true });
  const bin = out.trim().split('\n').pop()!.trim();
  if (!fs.existsSync(bin)) throw new Error(`scripts/e2e-setup.sh did not produce code-server (last line: ${bin})`);
  if (!fs.existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  return bin;
}

/** `npm run package` (which runs `npm run build -- --production`, then vsce); returns the VSIX path. */
export function buildAndPackage(outFile?: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  if (!pkg.scripts?.build) throw new Error('package.json has no "build" script: the extension build (scripts/build.mjs) is missing');
  if (!pkg.scripts?.package) throw new Error('package.json has no "package" script (scripts/package.mjs)');
  if (!fs.existsSync(path.join(ROOT, 'src', 'extension', 'extension.ts'))) throw new Error('src/extension/extension.ts is missing: the extension has not landed');
  const out = sh('npm', ['run', 'package', ...(outFile ? ['--', '--out', outFile] : [])], { timeoutMs: 10 * 60_000 });
  fs.writeFileSync(path.join(OUT, 'package.log'), out);
  for (const f of ['dist/extension.js', 'dist/analysisWorker.js', 'dist/webview.js']) {
    if (!fs.existsSync(path.join(ROOT, f))) throw new Error(`npm run build did not produce ${f}`);
  }
  const m = out.match(/\[package\] VSIX: (.+)/);
  const size = out.match(/\[package\] VSIX size: (.+)/);
  if (!m) throw new Error(`npm run package printed no VSIX path:\n${out.slice(-3000)}`);
  const vsix = path.resolve(ROOT, m[1].trim());
  if (!fs.existsSync(vsix)) throw new Error(`VSIX ${vsix} does not exist after npm run package`);
  log(`VSIX ${path.relative(ROOT, vsix)} (${size?.[1] ?? '?'})`);
  return vsix;
}

// ---------------------------------------------------------------- code-server
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface CodeServerOptions {
  bin: string;
  /** Root for this instance's fresh user-data, extensions and config. */
  home: string;
  /** Extra user settings. */
  userSettings?: Record<string, unknown>;
  /** Workspace folder to open (passed to code-server and used in the URL). */
  workspace: string;
  /** Run with this extensions dir (fresh when not given). */
  extensionsDir?: string;
  name: string;
  /** Keep VS Code's workspace trust on (default: off, with --disable-workspace-trust). */
  workspaceTrust?: boolean;
}

const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

export class CodeServer {
  port = 0;
  proc?: ChildProcess;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly configFile: string;
  readonly logFile: string;
  constructor(readonly opts: CodeServerOptions) {
    this.userDataDir = path.join(opts.home, 'user-data');
    this.extensionsDir = opts.extensionsDir ?? path.join(opts.home, 'extensions');
    this.configFile = path.join(opts.home, 'config.yaml');
    this.logFile = path.join(OUT, `${opts.name}-code-server.log`);
    fs.mkdirSync(path.join(this.userDataDir, 'User'), { recursive: true });
    fs.mkdirSync(this.extensionsDir, { recursive: true });
    this.writeConfig(); // before --install-extension, which would otherwise write a default (password) config
    const settings = {
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'extensions.ignoreRecommendations': true,
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'workbench.welcomePage.walkthroughs.openOnInstall': false,
      'git.enabled': false,
      'git.autoRepositoryDetection': false,
      'files.autoSave': 'off',
      'files.simpleDialog.enable': true,
      'window.restoreWindows': 'none',
      'chat.commandCenter.enabled': false,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      // Hovers (Explorer row tooltips) can open under the pointer and intercept the next click
      // (seen: a right-click timed out on the `.vscode` row's div.hover-contents). Tests never
      // need them: open them only after a delay no test waits for.
      'workbench.hover.delay': 600_000,
      'editor.hover.enabled': false,
      ...(opts.userSettings ?? {}),
    };
    fs.writeFileSync(path.join(this.userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.opts.workspace)}`;
  }

  installExtension(vsix: string): string {
    return sh(this.opts.bin, ['--config', this.configFile, '--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir, '--install-extension', vsix, '--force'], { timeoutMs: 5 * 60_000 });
  }

  writeConfig(): void {
    fs.writeFileSync(this.configFile, `bind-addr: 127.0.0.1:${this.port}\nauth: none\ncert: false\n`);
  }

  async start(): Promise<void> {
    this.port = await freePort();
    this.writeConfig();
    const logFd = fs.openSync(this.logFile, 'a');
    const args = [
      '--config', this.configFile,
      '--user-data-dir', this.userDataDir,
      '--extensions-dir', this.extensionsDir,
      '--disable-telemetry', '--disable-update-check',
      ...(this.opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      '--ignore-last-opened',
      this.opts.workspace,
    ];
    // detached: the child calls setsid() and leads its own process group, so the whole tree
    // (server, extension hosts, file watcher, pty host) can be stopped with one kill(-pgid).
    this.proc = spawn(this.opts.bin, args, {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, VSCODE_CLI: undefined, ELECTRON_RUN_AS_NODE: undefined, NODE_OPTIONS: undefined },
    });
    fs.closeSync(logFd);
    const pid = this.proc.pid!;
    liveGroups.add(pid);
    let exited: string | undefined;
    this.proc.on('exit', (code, sig) => (exited = `exited with ${code ?? sig}`));
    const deadline = Date.now() + scaledTimeout(60_000);
    for (;;) {
      if (exited) throw new Error(`code-server ${exited} before it was ready; log ${this.logFile}:\n${this.logTail()}`);
      try {
        const r = await fetch(`http://127.0.0.1:${this.port}/healthz`);
        if (r.ok) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error(`code-server did not answer /healthz within 60 s; log:\n${this.logTail()}`);
      await sleep(200);
    }
  }

  logTail(n = 40): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-n).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Stops the whole process group (SIGTERM, then SIGKILL). Safe to call twice. */
  async stop(): Promise<void> {
    const pid = this.proc?.pid;
    if (!pid || !liveGroups.has(pid)) return;
    const alive = () => {
      try {
        process.kill(-pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    for (let i = 0; i < 50 && alive(); i++) await sleep(100);
    if (alive()) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    liveGroups.delete(pid);
  }

  /** Extension-host side logs: exthost.log and the output channels (e.g. "Sparsity Lens"). */
  extensionLogs(filter?: RegExp): { file: string; text: string }[] {
    const found: { file: string; text: string }[] = [];
    const walk = (d: string) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(d, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.log') && (!filter || filter.test(p))) found.push({ file: p, text: fs.readFileSync(p, 'utf8') });
      }
    };
    walk(path.join(this.userDataDir, 'logs'));
    return found;
  }
}

// ---------------------------------------------------------------- browser / workbench
export interface Workbench {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Page console lines; extension host lines start with "[Extension Host]". */
  console: string[];
  close(): Promise<void>;
}

export async function openWorkbench(server: CodeServer, name: string): Promise<Workbench> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  const lines: string[] = [];
  page.on('console', (m) => {
    lines.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
  await page.goto(server.url, { waitUntil: 'domcontentloaded', timeout: scaledTimeout(60_000) });
  await page.locator('.monaco-workbench').waitFor({ timeout: scaledTimeout(60_000) });
  await page.locator('.explorer-folders-view').first().waitFor({ timeout: scaledTimeout(60_000) });
  // the workspace trust / welcome / notifications could cover the explorer: dismiss what is there
  await page.keyboard.press('Escape');
  return {
    browser,
    context,
    page,
    console: lines,
    async close() {
      fs.writeFileSync(path.join(OUT, `${name}-console.log`), lines.join('\n'));
      await browser.close().catch(() => undefined);
    },
  };
}

export async function screenshot(page: Page, file: string): Promise<string> {
  const p = path.join(OUT, file.endsWith('.png') ? file : `${file}.png`);
  await page.screenshot({ path: p }).catch((e) => log(`screenshot ${file} failed: ${e}`));
  return p;
}

/** The Explorer row of a file or folder (by its label). */
export function explorerRow(page: Page, label: string): Locator {
  return page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${label}"]`);
}

/**
 * Right-clicks an Explorer row and picks a context-menu item. On a cold start the contributed
 * item may appear only after the extension's contributions load: retries until `timeoutMs`.
 */
export async function explorerContextMenu(page: Page, rowLabel: string, item: string, timeoutMs = 60_000): Promise<void> {
  const row = explorerRow(page, rowLabel);
  await row.waitFor({ timeout: 30_000 }).catch(() => {
    throw new Error(`Explorer has no row "${rowLabel}"`);
  });
  const deadline = Date.now() + timeoutMs;
  let attempt = 0;
  for (;;) {
    attempt++;
    const menuItem = page.getByRole('menuitem', { name: item, exact: true });
    try {
      // A hover or a notification toast over the row would take the click: move the pointer
      // away and dismiss whatever is open first; a click that still cannot land is retried.
      await page.mouse.move(0, 0);
      await page.keyboard.press('Escape');
      await row.click({ button: 'right', timeout: 5_000 });
      await menuItem.waitFor({ state: 'visible', timeout: 3_000 });
      await sleep(400); // as a person would: a click right as the menu appears can be ignored
      await menuItem.click();
      // VS Code's menu acts on mouseup; a menu that re-rendered as the extension's contributions
      // arrived can swallow it (seen on cold starts). The menu closes when the item ran.
      const menu = page.locator('.context-view .monaco-menu');
      if (!(await menu.waitFor({ state: 'hidden', timeout: 1_500 }).then(() => true, () => false))) {
        log(`context menu still open after clicking "${item}": pressing Enter on the focused item`);
        await menuItem.hover();
        await page.keyboard.press('Enter');
        if (!(await menu.waitFor({ state: 'hidden', timeout: 1_500 }).then(() => true, () => false))) throw new Error('menu did not close');
      }
      if (attempt > 1) log(`context menu item "${item}" ran on attempt ${attempt}`);
      return;
    } catch {
      const items = await page.getByRole('menuitem').allInnerTexts().catch(() => [] as string[]);
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) {
        throw new Error(`context menu of "${rowLabel}" has no "${item}" after ${attempt} tries; it shows: ${JSON.stringify(items.map((s) => s.replace(/\s+/g, ' ').trim()))}`);
      }
      await sleep(1_000);
    }
  }
}

/** Runs a command from the Command Palette by its full title ("Category: Title"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  // Enter runs the first row: wait until the filtered list shows this command first (runCommandExact).
  await runCommandExact(page, title);
}

/** Dismisses every notification (so screenshots and notification checks see only new ones). */
export async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications');
  await page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
}

export async function closeAllEditors(page: Page): Promise<void> {
  await runCommand(page, 'View: Close All Editors');
  await page.locator('iframe.webview').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
}

/** The content frame of the visible webview (two nested iframes). */
export function webview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready:visible').first().frameLocator('#active-frame');
}

/** Texts of the visible notification toasts (for diagnostics). */
export async function notificationTexts(page: Page): Promise<string[]> {
  return page
    .locator('.notifications-toasts .notification-toast, .notifications-center .notification-list-item')
    .allInnerTexts()
    .then((a) => a.map((s) => s.replace(/\s+/g, ' ').trim()))
    .catch(() => []);
}

/**
 * Wraps a test body: on failure saves a screenshot, dumps the extension-host console lines, the
 * notifications and the "Sparsity Lens" output channel, then rethrows.
 */
export async function withDiagnostics(name: string, wb: () => Workbench | undefined, server: () => CodeServer | undefined, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const w = wb();
    const parts: string[] = [`---- e2e failure diagnostics: ${name}`];
    if (w) {
      const shot = await screenshot(w.page, `FAILED-${name}`);
      parts.push(`screenshot: ${shot}`);
      parts.push(`notifications: ${JSON.stringify(await notificationTexts(w.page))}`);
      const ext = w.console.filter((l) => l.includes('[Extension Host]'));
      parts.push(`extension host console (last 60 of ${ext.length}):\n${ext.slice(-60).join('\n')}`);
      const errs = w.console.filter((l) => /^error|pageerror/.test(l) && !l.includes('[Extension Host]'));
      if (errs.length) parts.push(`page errors (last 20):\n${errs.slice(-20).join('\n')}`);
    }
    const s = server();
    if (s) {
      for (const { file, text } of s.extensionLogs(/Sparsity Lens|exthost/i)) {
        parts.push(`${path.relative(s.userDataDir, file)} (last 40 lines):\n${text.split('\n').slice(-40).join('\n')}`);
      }
      parts.push(`code-server log (last 20):\n${s.logTail(20)}`);
    }
    const text = parts.join('\n\n');
    console.error(text);
    fs.writeFileSync(path.join(OUT, `FAILED-${name}.txt`), text);
    throw err;
  }
}

/** Every saved report (`*.sparsity.json`) under a folder, sorted. */
export function reportFilesUnder(root: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.sparsity.json')) found.push(p);
    }
  };
  walk(root);
  return found.sort();
}

export function mkTemp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// ---------------------------------------------------------------- robustness helpers (issue 15)

/**
 * `ms` stretched by how loaded this machine is (the 2 cores are shared with other sessions' runs):
 * × the 1-minute load per core when above 1, and × E2E_TIMEOUT_SCALE when set. Never shorter.
 */
export function scaledTimeout(ms: number): number {
  const perCore = os.loadavg()[0] / Math.max(1, os.cpus().length);
  const env = Number(process.env.E2E_TIMEOUT_SCALE ?? '1');
  return Math.round(ms * Math.max(1, Math.min(perCore, 4)) * (Number.isFinite(env) && env > 0 ? env : 1));
}

/** Moves the pointer off everything and closes an open hover or menu, so the next click lands where meant. */
export async function dismissHovers(page: Page): Promise<void> {
  await page.mouse.move(0, 0);
  await page.keyboard.press('Escape');
}

/**
 * Runs a command from the Command Palette and checks the row Enter takes is that command: the
 * list filters as it is typed, and an Enter before it has caught up runs whatever row was first.
 */
export async function runCommandExact(page: Page, title: string, timeoutMs = 15_000): Promise<void> {
  await dismissHovers(page);
  await page.keyboard.press('F1');
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input').first();
  await input.waitFor({ state: 'visible', timeout: scaledTimeout(10_000) });
  await input.fill(`>${title}`);
  const deadline = Date.now() + scaledTimeout(timeoutMs);
  for (;;) {
    const first = await widget.locator('.monaco-list-row').first().innerText({ timeout: 1_000 }).catch(() => '');
    if (first.replace(/\s+/g, ' ').includes(title)) break;
    if (Date.now() > deadline) {
      const rows = await widget.locator('.monaco-list-row').allInnerTexts().catch(() => [] as string[]);
      await page.keyboard.press('Escape');
      throw new Error(`Command Palette: the first row for "${title}" is not that command; rows: ${JSON.stringify(rows.map((r) => r.replace(/\s+/g, ' ')))}`);
    }
    await sleep(200);
  }
  await page.keyboard.press('Enter');
}

/** The open Quick Pick / input box whose title contains `title` (waits for it). */
export async function quickInput(page: Page, title: string | RegExp, timeoutMs = 30_000): Promise<Locator> {
  const widget = page.locator('.quick-input-widget').filter({ has: page.locator('.quick-input-title', { hasText: title }) });
  await widget.first().waitFor({ state: 'visible', timeout: scaledTimeout(timeoutMs) }).catch(async () => {
    const shown = await page.locator('.quick-input-widget .quick-input-title').allInnerTexts().catch(() => [] as string[]);
    throw new Error(`no Quick Pick titled ${String(title)}; shown: ${JSON.stringify(shown)}`);
  });
  return widget.first();
}

/**
 * The content frame of the visible webview that shows `selector` (a panel ready to use: its
 * script ran and rendered). Polls, re-finding the iframes each time: VS Code replaces a webview's
 * iframe when the panel moves or reloads, and a report panel may be open beside another one.
 */
export async function webviewShowing(page: Page, selector: string, timeoutMs = 60_000): Promise<FrameLocator> {
  const deadline = Date.now() + scaledTimeout(timeoutMs);
  for (;;) {
    const frames = page.locator('iframe.webview.ready:visible');
    const n = await frames.count().catch(() => 0);
    for (let i = 0; i < n; i++) {
      const f = page.frameLocator('iframe.webview.ready:visible').nth(i).frameLocator('#active-frame');
      if (await f.locator(selector).first().isVisible().catch(() => false)) return f;
    }
    if (Date.now() > deadline) throw new Error(`no visible webview shows ${selector} within ${Math.round((Date.now() - deadline + scaledTimeout(timeoutMs)) / 1000)} s (${n} visible webviews); notifications: ${JSON.stringify(await notificationTexts(page))}`);
    await sleep(300);
  }
}

/** A value of the workspace's .vscode/settings.json once it equals `expected` (VS Code writes it asynchronously). */
export async function waitForWorkspaceSetting(ws: string, key: string, expected: unknown, timeoutMs = 10_000): Promise<unknown> {
  const file = path.join(ws, '.vscode', 'settings.json');
  const deadline = Date.now() + scaledTimeout(timeoutMs);
  let value: unknown;
  for (;;) {
    try {
      // VS Code writes JSON with comments allowed; the files the tests use have none.
      value = (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>)[key];
    } catch {
      value = undefined;
    }
    if (JSON.stringify(value) === JSON.stringify(expected) || Date.now() > deadline) return value;
    await sleep(200);
  }
}

// ---------------------------------------------------------------- one workbench per suite

export interface WorkbenchSetup {
  /** Names the logs and screenshots (`<name>-code-server.log`, `FAILED-<name>-setup.png`). */
  name: string;
  /** The temp folder's prefix (default `sl-e2e-<name>-`); or `parent`: create the home folder there. */
  tempPrefix?: string;
  parent?: string;
  /** Fills the workspace folder (it exists, with .vscode/). */
  prepare?(ws: string, home: string): Promise<void> | void;
  /** Written to .vscode/settings.json after `prepare`. */
  workspaceSettings?: Record<string, unknown>;
  /** The VSIX to install (default: `npm run package` into the home folder). */
  vsix?: () => Promise<string> | string;
  /** Further code-server options (user settings, workspace trust). */
  codeServer?: Partial<Pick<CodeServerOptions, 'userSettings' | 'workspaceTrust'>>;
}

/**
 * The set-up every extension e2e suite repeats: a temp home with a workspace, the packaged
 * extension installed into a fresh code-server, the workbench open in chromium. A failure in
 * `start` is kept and thrown by `page()` in every test (a failing before hook would only show
 * the tests as cancelled). Use: `const s = workbenchSession({...}); before(() => s.start());
 * after(() => s.stop());` and `s.page()`, `s.ws`, `withDiagnostics(name, s.workbench, s.codeServer, …)`.
 */
export function workbenchSession(setup: WorkbenchSetup) {
  const state: { server?: CodeServer; wb?: Workbench; home: string; ws: string; error?: Error } = { home: '', ws: '' };
  return {
    get home(): string {
      return state.home;
    },
    get ws(): string {
      return state.ws;
    },
    workbench: (): Workbench | undefined => state.wb,
    codeServer: (): CodeServer | undefined => state.server,
    page(): Page {
      if (state.error) throw new Error(`e2e setup failed: ${state.error.message}`);
      if (!state.wb) throw new Error('the workbench did not open (see the before hook)');
      return state.wb.page;
    },
    async start(): Promise<void> {
      try {
        const bin = await timed('e2e-setup (code-server, chromium)', () => ensureCodeServer());
        if (setup.parent) fs.mkdirSync(setup.parent, { recursive: true });
        state.home = setup.parent ? fs.mkdtempSync(path.join(setup.parent, setup.tempPrefix ?? `e2e-${setup.name}-`)) : mkTemp(setup.tempPrefix ?? `sl-e2e-${setup.name}-`);
        state.ws = path.join(state.home, 'workspace');
        fs.mkdirSync(path.join(state.ws, '.vscode'), { recursive: true });
        if (setup.prepare) await timed(`${setup.name}: prepare the workspace`, () => setup.prepare!(state.ws, state.home));
        if (setup.workspaceSettings) fs.writeFileSync(path.join(state.ws, '.vscode', 'settings.json'), JSON.stringify(setup.workspaceSettings, null, 2) + '\n');
        const vsix = setup.vsix
          ? await setup.vsix()
          : await timed('npm run package (build + VSIX)', () => buildAndPackage(path.join(state.home, 'sparsity-lens-linux-x64.vsix')));
        state.server = new CodeServer({ bin, home: state.home, workspace: state.ws, name: setup.name, ...(setup.codeServer ?? {}) });
        const installed = await timed('code-server --install-extension', () => state.server!.installExtension(vsix));
        if (!/successfully installed/i.test(installed)) throw new Error(`--install-extension did not report success:\n${installed}`);
        await timed('code-server start', () => state.server!.start());
        state.wb = await timed('workbench load', () => openWorkbench(state.server!, setup.name));
      } catch (e) {
        state.error = e as Error;
        console.error(`[e2e] ${setup.name} setup failed: ${state.error.stack ?? state.error}`);
        if (state.wb) await screenshot(state.wb.page, `FAILED-${setup.name}-setup`);
      }
    },
    async stop(): Promise<void> {
      await state.wb?.close();
      await state.server?.stop();
      if (state.home && !process.env.E2E_KEEP) fs.rmSync(state.home, { recursive: true, force: true });
      printTimings();
    },
  };
}
