/**
 * `cairn ui` over plain HTTP (no browser): the API's documents are the
 * commands' --json, and the server refuses foreign Host headers, paths
 * outside its table (encoded or not), and anything but GET and HEAD.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { tempDir } from '../helpers/repo.js';
import { startUi, uiFixture, type UiFixture } from './fixture.js';

/** Send `request` as typed, byte for byte (no client normalises the path), and read the reply. */
function raw(port: number, request: string): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head ?? '')?.[1] ?? 0), head: head ?? '', body: rest.join('\r\n\r\n') });
    });
  });
}

const get = (port: number, target: string, host = `127.0.0.1:${port}`, method = 'GET') =>
  raw(port, `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

let f: UiFixture;
let ui: { child: ChildProcess; url: string; port: number };

beforeAll(async () => {
  f = await uiFixture();
  ui = await startUi(f.repo.dir);
});
afterAll(() => {
  ui?.child.kill('SIGTERM');
});

describe('the API returns what the commands print with --json', () => {
  const json = async (args: string[]) => JSON.parse((await cairnOk(args, { cwd: f.repo.dir })).stdout) as unknown;
  const api = async (endpoint: string) => (await fetch(`${ui.url}api/${endpoint}`)).json() as Promise<unknown>;

  test.each([
    ['list', ['explore', 'list', '--json']],
    ['show?version=e0.3.0', ['explore', 'show', 'e0.3.0', '--json']],
    ['show?version=exp-aug-v1', ['explore', 'show', 'exp-aug-v1', '--json']],
    ['diff?a=e0.1.0&b=e0.3.0', ['explore', 'diff', 'e0.1.0', 'e0.3.0', '--json']],
    ['models', ['model', 'list', '--json']],
    ['worktrees', ['worktree', 'list', '--json']],
  ])('/api/%s', async (endpoint, args) => {
    expect(await api(endpoint)).toEqual(await json(args));
  });

  test('/api/lineage?path=data: every version of data, each as explore lineage HASH --json', async () => {
    const doc = (await api('lineage?path=data')) as { path: string; versions: { hash: string }[] };
    expect(doc.path).toBe('data');
    expect(doc.versions).toHaveLength(2);
    for (const v of doc.versions) expect(v).toEqual(await json(['explore', 'lineage', v.hash, '--json']));
    const shown = (await json(['explore', 'show', 'e0.4.0', '--json'])) as { artifacts: { path: string; hash: string }[] };
    expect(doc.versions[0]!.hash).toBe(shown.artifacts.find((a) => a.path === 'data')!.hash);
  });

  test('/api/bases: the variant joined to the version it branched from', async () => {
    expect(await api('bases')).toEqual({ bases: { 'exp-aug-v1': 'e0.2.0' } });
  });

  test("a bad or missing parameter is the command's error, with its code", async () => {
    const r = await fetch(`${ui.url}api/show?version=e9.9.9`);
    expect(r.status).toBe(404);
    const cli = JSON.parse((await cairn(['explore', 'show', 'e9.9.9', '--json'], { cwd: f.repo.dir })).stdout) as unknown;
    expect(await r.json()).toEqual(cli);
    const missing = await fetch(`${ui.url}api/diff?a=e0.1.0`);
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/needs \?b=/);
  });
});

describe('safety', () => {
  test('binds 127.0.0.1 only, and sends a strict CSP and nosniff', async () => {
    expect(ui.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await get(ui.port, '/');
    expect(r.status).toBe(200);
    expect(r.head).toContain("Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'");
    expect(r.head).toContain('X-Content-Type-Options: nosniff');
    expect(r.body).not.toMatch(/<script>|\son\w+=/); // no inline script or handler for the CSP to forbid
  });

  test.each([
    ['a foreign name (DNS rebinding)', 'evil.example:PORT'],
    ['the right name on another port', '127.0.0.1:1'],
    ['no port', '127.0.0.1'],
    ['an empty Host', ''],
    ['another loopback address', '127.0.0.2:PORT'],
  ])('refuses a request whose Host is %s', async (_what, host) => {
    for (const target of ['/', '/api/list', '/assets/app.js']) {
      const r = await get(ui.port, target, host.replace('PORT', String(ui.port)));
      expect(r.status).toBe(421);
      expect(r.body).not.toContain('e0.1.0');
    }
  });

  test('accepts localhost:PORT', async () => {
    expect((await get(ui.port, '/api/info', `localhost:${ui.port}`)).status).toBe(200);
  });

  test.each([
    '/../package.json',
    '/assets/../package.json',
    '/assets/..%2f..%2fpackage.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/assets/%252e%252e%252fpackage.json',
    '/assets/..\\..\\package.json',
    '/assets//etc/passwd',
    '//etc/passwd',
    '/api/../../../etc/passwd',
    '/api/list/../../.git/config',
    '/.git/config',
    '/results.db',
    '/dist/ui/server.js',
    '/assets/app.js/',
    '/assets/APP.JS',
    '/assets/app.js%00.png',
    '/api/',
    '/api/constructor',
    '/api/__proto__',
    'http://evil.example/etc/passwd',
  ])('serves nothing at %s', async (target) => {
    const r = await get(ui.port, target);
    expect([400, 404]).toContain(r.status);
    expect(r.body).not.toMatch(/"name": "cairn-ml"|\[core\]|root:x:|SQLite format/);
  });

  test.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'])('is read-only: %s is refused with 405', async (method) => {
    const r = await raw(ui.port, `${method} /api/list HTTP/1.1\r\nHost: 127.0.0.1:${ui.port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(405);
    expect(r.head).toContain('Allow: GET, HEAD');
  });

  test('HEAD answers without a body', async () => {
    const r = await get(ui.port, '/api/info', `127.0.0.1:${ui.port}`, 'HEAD');
    expect(r.status).toBe(200);
    expect(r.body).toBe('');
  });

  test('serving changes nothing in the repository', async () => {
    const before = f.repo.git('status', '--porcelain');
    const refs = f.repo.git('for-each-ref');
    for (const e of ['list', 'show?version=e0.1.0', 'diff?a=e0.1.0&b=e0.2.0', 'lineage?path=data', 'models', 'worktrees', 'bases'])
      await fetch(`${ui.url}api/${e}`);
    expect(f.repo.git('status', '--porcelain')).toBe(before);
    expect(f.repo.git('for-each-ref')).toBe(refs);
  });
});

describe('running', () => {
  test('--open hands the URL to xdg-open; SIGTERM stops the server with exit 0', async () => {
    const bin = tempDir('cairn-bin-');
    const seen = path.join(bin, 'opened');
    fs.writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" > "${seen}"\n`, { mode: 0o755 });
    const run = await startUi(f.repo.dir, ['--open'], { PATH: `${bin}:${process.env.PATH}` });
    for (let i = 0; i < 100 && !fs.existsSync(seen); i++) await new Promise((r) => setTimeout(r, 50));
    expect(fs.readFileSync(seen, 'utf8').trim()).toBe(run.url);
    const exited = new Promise<number | null>((resolve) => run.child.on('exit', (code) => resolve(code)));
    run.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(fetch(run.url)).rejects.toThrow();
  });

  test('--db FILE: the list and models are explore list --db FILE and model list --db FILE', async () => {
    const other = path.join(tempDir(), 'copy.db');
    fs.copyFileSync(path.join(f.repo.dir, 'results.db'), other);
    const run = await startUi(f.repo.dir, ['--db', other]);
    try {
      const list = (await (await fetch(`${run.url}api/list`)).json()) as { experiments: { resultsRows?: { results: string } }[] };
      expect(list).toEqual(JSON.parse((await cairnOk(['explore', 'list', '--db', other, '--json'], { cwd: f.repo.dir })).stdout));
      expect(list.experiments[0]!.resultsRows!.results).toBe(`${other}#default`);
      expect(await (await fetch(`${run.url}api/models`)).json()).toEqual(
        JSON.parse((await cairnOk(['model', 'list', '--db', other, '--json'], { cwd: f.repo.dir })).stdout),
      );
    } finally {
      run.child.kill('SIGTERM');
    }
  });

  test('--port N serves on that port', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const run = await startUi(f.repo.dir, ['--port', String(port)]);
    try {
      expect(run.url).toBe(`http://127.0.0.1:${port}/`);
      expect((await fetch(`${run.url}api/info`)).status).toBe(200);
    } finally {
      run.child.kill('SIGTERM');
    }
  });
});

describe('bad input', () => {
  test.each([
    [['--port', 'abc'], 2, /port number/],
    [['--port', '70000'], 2, /port number/],
    [['--port', '-1'], 2, /./],
    [['--export', 'x.html', '--port', '8080'], 2, /--export writes a file/],
    [['--export', 'x.html', '--open'], 2, /--export writes a file/],
    [['--force'], 2, /--force applies to --export only/],
    [['--detail', '5'], 2, /--detail applies to --export only/],
    [['--export', 'x.html', '--detail', '0'], 2, /whole number/],
  ])('cairn ui %j exits %i', async (args, code, message) => {
    const r = await cairn(['ui', ...args], { cwd: f.repo.dir });
    expect(r.exitCode).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  test('outside a repository: exit 3', async () => {
    const r = await cairn(['ui', '--export', 'x.html'], { cwd: tempDir() });
    expect(r.exitCode).toBe(3);
  });

  test('a port in use: exit 5, naming it', async () => {
    const r = await cairn(['ui', '--port', String(ui.port)], { cwd: f.repo.dir });
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain(`port ${ui.port} on 127.0.0.1 is in use`);
  });

  test('--export refuses to overwrite without --force, and replaces with it', async () => {
    const out = path.join(tempDir(), 'report.html');
    fs.writeFileSync(out, 'mine');
    const r = await cairn(['ui', '--export', out], { cwd: f.repo.dir });
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toMatch(/already exists/);
    expect(fs.readFileSync(out, 'utf8')).toBe('mine');
    await cairnOk(['ui', '--export', out, '--force'], { cwd: f.repo.dir });
    expect(fs.readFileSync(out, 'utf8')).toMatch(/^<!doctype html>/);
    expect(fs.readdirSync(path.dirname(out))).toEqual(['report.html']); // no temp file left
  });

  test('--export to a folder: exit 2', async () => {
    const r = await cairn(['ui', '--export', tempDir()], { cwd: f.repo.dir });
    expect(r.exitCode).toBe(2);
  });

  test('the exported file embeds the data without a way out of its <script>', async () => {
    const out = path.join(tempDir(), 'r.html');
    await cairnOk(['ui', '--export', out], { cwd: f.repo.dir });
    const html = fs.readFileSync(out, 'utf8');
    const data = /<script type="application\/json" id="cairn-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(data).not.toMatch(/[<>]/);
    expect(JSON.stringify(JSON.parse(data))).toContain('<script>window.__xss = 1</script>');
    expect(html).not.toMatch(/(src|href)="https?:/);
  });
});
