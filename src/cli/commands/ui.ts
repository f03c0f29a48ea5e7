/**
 * ui: the experiment history as a local web page, or as one HTML file.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { formatBytes } from '../output.js';

interface UiFlags {
  port?: number;
  open?: boolean;
  db?: string;
  export?: string;
  force?: boolean;
  detail?: number;
  json?: boolean;
}

/** --port: 0 (a free one) to 65535. */
function parsePort(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n > 65535) {
    throw Object.assign(new Error('give a port number from 1 to 65535 (or 0 for a free one)'), { code: 'commander.invalidArgument' });
  }
  return n;
}

/** --detail: a whole number of at least 1. */
function parseDetail(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw Object.assign(new Error('give a whole number of at least 1'), { code: 'commander.invalidArgument' });
  return n;
}

/** Open `url` in the desktop's browser, if there is one (best effort: the URL is printed anyway). */
function openBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
  child.on('error', () => {});
  child.unref();
}

/** Resolve when the process is asked to stop (Ctrl-C, kill). */
function stopRequested(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export function registerUiCommand(program: Command, ctx: CliContext): void {
  program
    .command('ui')
    .description('the experiment history as a read-only local web page (127.0.0.1), or as one self-contained HTML file with --export')
    .option('--port <n>', 'port on 127.0.0.1 (default: a free one)', parsePort)
    .option('--open', 'open the page in a browser')
    .option('--db <file>', 'results database to join (as explore list --db and model list --db)')
    .option('--export <file>', 'write the page, with its data, to this HTML file instead of serving it')
    .option('-f, --force', 'with --export: replace an existing file')
    .option('--detail <n>', 'with --export: how many of the newest experiments to embed in detail (artifacts, comparisons; default 10)', parseDetail)
    .option('--json', 'print the URL (or what --export wrote) as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn ui --open\n  $ cairn ui --port 8080 --db results/experiments.db\n  $ cairn ui --export report.html')
    .action(async (opts: UiFlags) => {
      ctx.useJson(opts);
      if (opts.export !== undefined && (opts.port !== undefined || opts.open)) {
        throw new UsageError('--export writes a file: --port and --open do not apply', { hint: 'cairn ui --export report.html, or cairn ui --port N --open' });
      }
      if ((opts.force || opts.detail !== undefined) && opts.export === undefined) {
        throw new UsageError(`${opts.force ? '--force' : '--detail'} applies to --export only`, { hint: 'cairn ui --export report.html --force --detail 50' });
      }
      const source = { repo: await ctx.repo(), cwd: ctx.cwd(), ...(opts.db !== undefined ? { db: opts.db } : {}) };
      if (opts.export !== undefined) {
        const { exportUi } = await import('../../ui/export.js');
        const r = await exportUi(source, { out: opts.export, force: opts.force, ...(opts.detail !== undefined ? { maxShown: opts.detail } : {}) });
        return ctx.out.result(r, () => ctx.out.line(`wrote ${r.file} (${formatBytes(r.bytes)}, ${r.experiments} experiment(s), ${r.detailed} in detail)`));
      }
      const { startUiServer } = await import('../../ui/server.js');
      const server = await startUiServer({ source, ...(opts.port !== undefined ? { port: opts.port } : {}) });
      const stop = stopRequested();
      ctx.out.result({ url: server.url, port: server.port }, () => ctx.out.line(`cairn ui: ${server.url}  (read-only; Ctrl-C to stop)`));
      if (opts.open) openBrowser(server.url);
      await stop;
      await server.close();
    });
}
