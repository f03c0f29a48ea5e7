/**
 * `cairn ui`: a read-only HTTP server on 127.0.0.1 for the page and its JSON
 * API. It answers a fixed table of paths (the page, its assets, the API's
 * endpoints) to GET and HEAD only, and only when the Host header names its
 * own address: a page elsewhere that rebinds its DNS name to 127.0.0.1 gets
 * 421, not the repository's history.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlreadyExistsError, CairnError, ExitCode, toCairnError } from '../errors.js';
import { UI_ENDPOINTS, uiDocument, type UiEndpoint, type UiSource } from '../commands/ui.js';
import { ASSETS, assetBytes } from './assets.js';
import { SERVED_CSP, servedPage } from './page.js';

export const UI_HOST = '127.0.0.1';

/** Options of {@link startUiServer}: what to serve, and on which port (0 or none: a free one). */
export interface UiServerOptions {
  source: UiSource;
  port?: number;
}

/** A running server: its URL, and how to stop it. */
export interface UiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': SERVED_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** The HTTP status of a cairn error. */
function statusOf(err: CairnError): number {
  if (err.exitCode === ExitCode.usage) return 400;
  if (err.exitCode === ExitCode.notFound) return 404;
  return err.code === 'E_INTERNAL' ? 500 : 422;
}

function send(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  extra: Record<string, string> = {},
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(bytes.length), ...extra });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

function sendJson(req: http.IncomingMessage, res: http.ServerResponse, status: number, value: unknown): void {
  // Compact: the same document as the command's --json, without its indentation (a third of the bytes at 1,000 experiments).
  send(req, res, status, 'application/json; charset=utf-8', JSON.stringify(value) + '\n');
}

function failure(req: http.IncomingMessage, res: http.ServerResponse, status: number, code: string, message: string, hint: string): void {
  sendJson(req, res, status, { error: { code, exitCode: ExitCode.failed, message, hint } });
}

/** The hosts a request may name: this server's own address (by IP or as localhost). */
export function allowedHosts(port: number): Set<string> {
  return new Set([`${UI_HOST}:${port}`, `localhost:${port}`]);
}

/** Answer one request (exported for the tests of the routing table). */
export async function handle(source: UiSource, port: number, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!allowedHosts(port).has(host)) {
    return failure(req, res, 421, 'E_HOST', `refused: Host ${JSON.stringify(req.headers.host ?? '')} is not this server`, `open http://${UI_HOST}:${port}/`);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send(req, res, 405, 'text/plain; charset=utf-8', 'read-only: GET and HEAD only\n', { Allow: 'GET, HEAD' });
  }
  const raw = req.url ?? '';
  const q = raw.indexOf('?');
  // The path is matched as sent, undecoded: only the exact names of the table answer.
  const pathname = q === -1 ? raw : raw.slice(0, q);
  if (pathname === '/' || pathname === '/index.html') return send(req, res, 200, 'text/html; charset=utf-8', servedPage());
  const asset = ASSETS.get(pathname);
  if (asset) return send(req, res, 200, asset.type, assetBytes(pathname)!);
  const endpoint = pathname.startsWith('/api/') ? pathname.slice(5) : '';
  if ((UI_ENDPOINTS as readonly string[]).includes(endpoint)) {
    const query = Object.fromEntries(new URLSearchParams(q === -1 ? '' : raw.slice(q + 1)));
    try {
      return sendJson(req, res, 200, await uiDocument(source, endpoint as UiEndpoint, query));
    } catch (err) {
      const e = toCairnError(err);
      return sendJson(req, res, statusOf(e), { error: { code: e.code, exitCode: e.exitCode, message: e.message, hint: e.hint } });
    }
  }
  return failure(req, res, 404, 'E_NOT_FOUND', `nothing at ${JSON.stringify(pathname)}`, 'the page is at /; the API answers /api/<endpoint>');
}

/** Start serving on 127.0.0.1 (never another interface). */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  let port = options.port ?? 0;
  const server = http.createServer((req, res) => {
    handle(options.source, port, req, res).catch((err: unknown) => {
      if (!res.headersSent) failure(req, res, 500, 'E_INTERNAL', String(err instanceof Error ? err.message : err), 'this is a bug in cairn ui');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new AlreadyExistsError(`port ${port} on ${UI_HOST} is in use`, { hint: 'pick another --port, or leave it out for a free one' })
          : err,
      ),
    );
    server.listen(port, UI_HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${UI_HOST}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
