import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, repoAt, tempDir, type TestRepo } from '../helpers/repo.js';
import { startS3, type S3Server } from '../helpers/s3.js';
import { hashBytes } from '../../src/store/hash.js';
import { Cache } from '../../src/store/cache.js';
import { REMOTE_TEMP_NAME } from '../../src/remote/localRemote.js';

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3.stop();
});

interface Kind {
  name: 'local' | 's3';
  /** `cairn remote add` arguments for a fresh remote. */
  addArgs(): string[];
  env(): Record<string, string>;
  /** Every object on the remote: hash → bytes. */
  objects(): Map<string, Buffer>;
  /** Overwrite an object's bytes on the remote. */
  tamper(hash: string, bytes: Buffer): void;
  /** Files a push has written to the remote so far (objects and temp files). */
  written(): number;
  /** Temp files on the remote. */
  temps(): string[];
}

let prefixCounter = 0;
const kinds: Kind[] = [
  (() => {
    let dir = '';
    return {
      name: 'local' as const,
      addArgs() {
        dir = path.join(tempDir(), 'store');
        return [dir];
      },
      env: () => ({}),
      objects() {
        const out = new Map<string, Buffer>();
        const root = path.join(dir, 'objects');
        for (const p of fs.existsSync(root) ? fs.readdirSync(root) : []) {
          for (const n of fs.readdirSync(path.join(root, p))) {
            if (/^[0-9a-f]{62}$/.test(n)) out.set(`sha256:${p}${n}`, fs.readFileSync(path.join(root, p, n)));
          }
        }
        return out;
      },
      tamper(hash, bytes) {
        const hex = hash.slice(7);
        const file = path.join(dir, 'objects', hex.slice(0, 2), hex.slice(2));
        fs.chmodSync(file, 0o644);
        fs.writeFileSync(file, bytes);
      },
      written() {
        const files = (d: string): string[] => (fs.existsSync(d) ? (fs.readdirSync(d, { recursive: true }) as string[]) : []);
        return files(path.join(dir, 'objects')).filter((f) => f.includes('/')).length + files(path.join(dir, 'tmp')).length;
      },
      temps() {
        const out: string[] = [];
        for (const d of [
          path.join(dir, 'tmp'),
          ...(fs.existsSync(path.join(dir, 'objects')) ? fs.readdirSync(path.join(dir, 'objects')).map((p) => path.join(dir, 'objects', p)) : []),
        ]) {
          for (const n of fs.existsSync(d) ? fs.readdirSync(d) : []) if (n.includes('.cairn-tmp-')) out.push(path.join(d, n));
        }
        return out;
      },
    };
  })(),
  (() => {
    let prefix = '';
    const objectFiles = (): Map<string, string> => {
      // s3rver keeps each object as <dir>/<bucket>/<key>._S3rver_object
      const out = new Map<string, string>();
      const root = path.join(s3.dir, s3.bucket, prefix, 'objects');
      for (const p of fs.existsSync(root) ? fs.readdirSync(root) : []) {
        for (const n of fs.readdirSync(path.join(root, p))) {
          const m = /^([0-9a-f]{62})\._S3rver_object$/.exec(n);
          if (m) out.set(`sha256:${p}${m[1]}`, path.join(root, p, n));
        }
      }
      return out;
    };
    return {
      name: 's3' as const,
      addArgs() {
        prefix = `run${++prefixCounter}`;
        return [`s3://${s3.bucket}/${prefix}`, '--endpoint', s3.endpoint];
      },
      env: () => s3.env,
      objects() {
        return new Map([...objectFiles()].map(([h, f]) => [h, fs.readFileSync(f)]));
      },
      tamper(hash, bytes) {
        const file = objectFiles().get(hash)!;
        fs.writeFileSync(file, bytes);
        fs.rmSync(`${file}.md5`, { force: true });
      },
      written: () => objectFiles().size,
      temps: () => [],
    };
  })(),
];

async function project(kind: Kind): Promise<{ repo: TestRepo; env: Record<string, string> }> {
  const repo = gitRepo();
  const env = kind.env();
  await cairnOk(['init'], { cwd: repo.dir, env });
  repo.write('data/a.csv', 'a,b\n1,2\n');
  repo.write('data/sub/b.bin', Buffer.alloc(3000, 1));
  repo.write('model.bin', Buffer.alloc(2 * 1024 * 1024 + 3, 2));
  await cairnOk(['add', 'data', 'model.bin'], { cwd: repo.dir, env });
  await cairnOk(['remote', 'add', 'origin', ...kind.addArgs(), '--default', '--shared'], { cwd: repo.dir, env }); // shared: clones get it too
  repo.commit('data');
  return { repo, env };
}

function clone(repo: TestRepo): TestRepo {
  const dir = path.join(tempDir(), 'clone');
  repo.git('clone', '-q', repo.dir, dir);
  return repoAt(dir);
}

describe.each(kinds)('remote kind $name', (kind) => {
  it('push, then pull into a fresh clone; a second push moves nothing', async () => {
    const { repo, env } = await project(kind);
    const st = JSON.parse((await cairnOk(['status', '--remote', '--json'], { cwd: repo.dir, env })).stdout);
    expect(st.artifacts.map((a: { notPushed: number }) => a.notPushed)).toEqual([3, 1]);
    const first = JSON.parse((await cairnOk(['push', '--json'], { cwd: repo.dir, env })).stdout);
    expect(first).toMatchObject({ remote: 'origin', uploaded: 4, present: 0, missingLocally: [] });
    const again = JSON.parse((await cairnOk(['push', '--json'], { cwd: repo.dir, env })).stdout);
    expect(again).toMatchObject({ uploaded: 0, present: 4 });
    expect((await cairnOk(['status', '--remote'], { cwd: repo.dir, env })).stdout).toContain('everything is pushed');
    for (const [hash, bytes] of kind.objects()) expect(hashBytes(bytes)).toBe(hash);

    const other = clone(repo);
    const pulled = JSON.parse((await cairnOk(['pull', '--json'], { cwd: other.dir, env })).stdout);
    expect(pulled).toMatchObject({ downloaded: 4, missingOnRemote: [] });
    expect(other.read('data/a.csv')).toBe('a,b\n1,2\n');
    expect(fs.readFileSync(path.join(other.dir, 'model.bin')).equals(fs.readFileSync(path.join(repo.dir, 'model.bin')))).toBe(true);
    const v = await cairnOk(['verify', '--remote'], { cwd: other.dir, env });
    expect(v.stdout).toContain('checked 4 objects on origin');
  });

  it('--rev pushes and fetches what a revision holds, without checking it out', async () => {
    const { repo, env } = await project(kind);
    repo.git('checkout', '-q', '-b', 'variant');
    repo.write('model.bin', 'variant model');
    await cairnOk(['add', 'model.bin'], { cwd: repo.dir, env });
    repo.commit('variant');
    repo.git('checkout', '-q', 'main');
    await cairnOk(['checkout', '--force'], { cwd: repo.dir, env });
    const pushed = JSON.parse((await cairnOk(['push', '--rev', 'variant', '--json'], { cwd: repo.dir, env })).stdout);
    expect(pushed.uploaded).toBe(4);
    expect(repo.git('rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe('main');
    const other = clone(repo);
    const fetched = JSON.parse((await cairnOk(['fetch', '--rev', 'origin/variant', '--json'], { cwd: other.dir, env })).stdout);
    expect(fetched.downloaded).toBe(4);
    expect(other.exists('model.bin')).toBe(false); // fetch does not check out
  });

  it('refuses objects whose bytes do not match their names, and keeps them out of the cache', async () => {
    const { repo, env } = await project(kind);
    await cairnOk(['push'], { cwd: repo.dir, env });
    const hash = JSON.parse(repo.read('model.bin.cairn')).hash as string;
    kind.tamper(hash, Buffer.alloc(2 * 1024 * 1024 + 3, 9)); // same size, other bytes
    const other = clone(repo);
    const r = await cairn(['fetch'], { cwd: other.dir, env });
    expect(r.exitCode).toBe(8);
    expect(r.stderr).toContain('do not match their names');
    expect(r.stderr).toContain('cairn push --verify -r origin replaces them');
    const hex = hash.slice(7);
    expect(fs.existsSync(path.join(other.dir, '.git/cairn/cache/objects', hex.slice(0, 2), hex.slice(2)))).toBe(false);
    const v = await cairn(['verify', '--remote'], { cwd: repo.dir, env });
    expect(v.exitCode).toBe(8);
    expect(v.stdout).toContain(`corrupt on origin: ${hash.slice(7, 19)}`);
  });

  it('a truncated object on the remote is replaced by the next push (size check, always)', async () => {
    const { repo, env } = await project(kind);
    await cairnOk(['push'], { cwd: repo.dir, env });
    const big = JSON.parse(repo.read('model.bin.cairn')).hash as string;
    const small = hashBytes('a,b\n1,2\n');
    kind.tamper(big, kind.objects().get(big)!.subarray(0, 1000)); // a large object cut short
    kind.tamper(small, Buffer.from('a,b')); // and a small one (the batched path)
    const r = JSON.parse((await cairnOk(['push', '--json'], { cwd: repo.dir, env })).stdout);
    expect(r.repaired.sort()).toEqual([big, small].sort());
    expect(r).toMatchObject({ uploaded: 2, present: 2 });
    const all = kind.objects();
    expect(all.size).toBe(4);
    for (const [hash, bytes] of all) expect(hashBytes(bytes), hash).toBe(hash);
    await cairnOk(['verify', '--remote'], { cwd: repo.dir, env });
  });

  it('a damaged object of the right size is found and replaced by push --verify; a plain push cannot see it', async () => {
    const { repo, env } = await project(kind);
    await cairnOk(['push'], { cwd: repo.dir, env });
    const hash = JSON.parse(repo.read('model.bin.cairn')).hash as string;
    const flipped = Buffer.from(kind.objects().get(hash)!);
    flipped[12345] ^= 0xff;
    kind.tamper(hash, flipped);
    const v = await cairn(['verify', '--remote'], { cwd: repo.dir, env });
    expect(v.exitCode).toBe(8);
    expect(v.stderr).toContain('cairn push --verify -r origin re-uploads the damaged and missing objects from this cache');
    expect(v.stderr).not.toContain('cairn pull');
    expect(JSON.parse((await cairnOk(['push', '--json'], { cwd: repo.dir, env })).stdout)).toMatchObject({ uploaded: 0, repaired: [] });
    const r = JSON.parse((await cairnOk(['push', '--verify', '--json'], { cwd: repo.dir, env })).stdout);
    expect(r).toMatchObject({ uploaded: 1, present: 3, repaired: [hash] });
    expect(hashBytes(kind.objects().get(hash)!)).toBe(hash);
    await cairnOk(['verify', '--remote'], { cwd: repo.dir, env });
  });

  it('push --verify does not replace a damaged remote object with a damaged local one', async () => {
    const { repo, env } = await project(kind);
    await cairnOk(['push'], { cwd: repo.dir, env });
    const hash = JSON.parse(repo.read('model.bin.cairn')).hash as string;
    const remoteBytes = Buffer.from(kind.objects().get(hash)!);
    remoteBytes[0] ^= 0xff;
    kind.tamper(hash, remoteBytes);
    const hex = hash.slice(7);
    const localObject = path.join(repo.dir, '.git/cairn/cache/objects', hex.slice(0, 2), hex.slice(2));
    fs.chmodSync(localObject, 0o644);
    fs.writeFileSync(localObject, Buffer.alloc(fs.statSync(localObject).size, 0x55));
    const r = await cairn(['push', '--verify'], { cwd: repo.dir, env });
    expect(r.exitCode).toBe(8);
    expect(kind.objects().get(hash)!.equals(remoteBytes)).toBe(true); // left as it was, not swapped for other damage
  });

  it('a push killed midway (the kill lands mid-transfer) is completed by running it again, with nothing partial left', async () => {
    // Each attempt kills a push as soon as its first bytes reach the remote; an
    // attempt whose push had already finished (or not started) does not count.
    let landed: { repo: TestRepo; env: Record<string, string> } | null = null;
    for (let attempt = 0; attempt < 4 && !landed; attempt++) {
      const { repo, env } = await project(kind);
      for (let i = 0; i < 40; i++) repo.write(`many/f${i}.bin`, Buffer.alloc(256 * 1024, i));
      repo.write('huge.bin', Buffer.alloc(24 * 1024 * 1024, 7));
      await cairnOk(['add', 'many', 'huge.bin'], { cwd: repo.dir, env });
      const child = spawn('node', [BIN, 'push', '-j', '2'], { cwd: repo.dir, env: { ...process.env, ...env }, stdio: 'ignore' });
      let exited = false;
      const exit = new Promise((resolve) => child.on('exit', resolve)).then(() => (exited = true));
      while (!exited && kind.written() === 0) await sleep(5);
      child.kill('SIGKILL');
      await exit;
      const done = kind.objects().size;
      if (child.signalCode === 'SIGKILL' && kind.written() > 0 && done < 46) landed = { repo, env };
    }
    expect(landed, 'no kill landed mid-transfer in 4 attempts').not.toBeNull();
    const { repo, env } = landed!;
    for (const [hash, bytes] of kind.objects()) {
      if (kind.name === 'local') expect(hashBytes(bytes)).toBe(hash); // never a partial object under a final name
    }
    const r = JSON.parse((await cairnOk(['push', '--json'], { cwd: repo.dir, env })).stdout);
    expect(r.uploaded + r.present).toBe(46);
    const all = kind.objects();
    expect(all.size).toBe(46);
    for (const [hash, bytes] of all) expect(hashBytes(bytes)).toBe(hash);
    await cairnOk(['verify', '--remote'], { cwd: repo.dir, env });
    if (kind.name === 'local') {
      // What the killed push left is swept by a later push once stale (an hour untouched, its pid gone).
      const temps = kind.temps();
      expect(temps.length, 'the killed push left temp files').toBeGreaterThan(0);
      for (const t of temps) fs.utimesSync(t, new Date(Date.now() - 2 * 3600 * 1000), new Date(Date.now() - 2 * 3600 * 1000));
      repo.write('extra.bin', Buffer.alloc(10, 1));
      await cairnOk(['add', 'extra.bin'], { cwd: repo.dir, env });
      await cairnOk(['push'], { cwd: repo.dir, env });
      expect(kind.temps()).toEqual([]);
    }
  });
});

describe('remote errors', () => {
  it('an unknown remote name: exit 4', async () => {
    const { repo, env } = await project(kinds[0]!);
    const r = await cairn(['push', '-r', 'nope'], { cwd: repo.dir, env });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('no remote named "nope"');
    expect(r.stderr).toContain('remotes: origin');
  });

  it('no remote at all: exit 4 with the command to add one', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    const r = await cairn(['push'], { cwd: repo.dir });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('cairn remote add');
  });

  it('an unreachable endpoint: a clear error, nonzero, nothing deleted', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.write('w.bin', 'weights');
    await cairnOk(['add', 'w.bin'], { cwd: repo.dir });
    await cairnOk(['remote', 'add', 'dead', 's3://cairn-test/x', '--endpoint', 'http://127.0.0.1:9', '--default'], { cwd: repo.dir });
    const r = await cairn(['push'], { cwd: repo.dir, env: s3.env });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('remote dead is not reachable at http://127.0.0.1:9');
    expect(repo.read('w.bin')).toBe('weights');
    expect(JSON.parse((await cairnOk(['verify', '--json'], { cwd: repo.dir })).stdout).ok).toBe(true);
  });

  it('bad credentials: access denied, nonzero', async () => {
    const { repo } = await project(kinds[1]!);
    const r = await cairn(['push'], { cwd: repo.dir, env: { AWS_ACCESS_KEY_ID: 'WRONG', AWS_SECRET_ACCESS_KEY: 'WRONG' } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('access denied');
    expect(r.stderr).toContain('AWS_ACCESS_KEY_ID');
  });

  it('credentials from .cairn/config.local.json work; in the committed config they are refused', async () => {
    const { repo } = await project(kinds[1]!);
    repo.write('.cairn/config.local.json', JSON.stringify({ remotes: { origin: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } } }));
    await cairnOk(['push'], { cwd: repo.dir, env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' } });
    const cfg = JSON.parse(repo.read('.cairn/config.json'));
    cfg.remotes.origin.secretAccessKey = 'leaked';
    repo.write('.cairn/config.json', JSON.stringify(cfg));
    const r = await cairn(['status'], { cwd: repo.dir });
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toContain('holds credentials for remote origin');
  });

  it.each([
    ['http://example.com/store', 'http:// scheme is not supported'],
    ['host:/srv/store', 'scp-style'],
    ['s3://Bad_Bucket/x', 'not a valid bucket name'],
    ['s3://bucket/../x', 'prefix may not contain'],
    ['', 'it is empty'],
  ])('refuses the remote URL %j', async (url, message) => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    const before = repo.read('.cairn/config.json');
    const r = await cairn(['remote', 'add', 'x', url], { cwd: repo.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
    expect(repo.read('.cairn/config.json')).toBe(before);
  });

  it('remote add refuses a bad name and a duplicate; list and remove', async () => {
    const { repo } = await project(kinds[0]!);
    expect((await cairn(['remote', 'add', '../evil', '/tmp/x'], { cwd: repo.dir })).exitCode).toBe(2);
    const dup = await cairn(['remote', 'add', 'origin', path.join(tempDir(), 's')], { cwd: repo.dir });
    expect(dup.exitCode).toBe(5);
    expect(dup.stderr).toContain('--force');
    const list = JSON.parse((await cairnOk(['remote', 'list', '--json'], { cwd: repo.dir })).stdout);
    expect(list.remotes).toEqual([expect.objectContaining({ name: 'origin', kind: 'local', default: true })]);
    await cairnOk(['remote', 'remove', 'origin'], { cwd: repo.dir });
    expect(JSON.parse(repo.read('.cairn/config.json')).remote).toBeUndefined();
    expect((await cairn(['remote', 'remove', 'origin'], { cwd: repo.dir })).exitCode).toBe(4);
  });
});

describe('an S3 server that goes away during a push', () => {
  it('fails clearly, and the same push completes after the server is back (the stop lands mid-push)', async () => {
    // The server is stopped once the first object has landed; an attempt whose
    // push finished first does not count.
    let landed: { repo: TestRepo; env: Record<string, string> } | null = null;
    for (let attempt = 0; attempt < 3 && !landed; attempt++) {
      const { repo, env } = await project(kinds[1]!);
      for (let i = 0; i < 120; i++) repo.write(`many/f${i}.bin`, Buffer.alloc(96 * 1024, i));
      await cairnOk(['add', 'many'], { cwd: repo.dir, env });
      const child = spawn('node', [BIN, 'push', '-j', '4'], { cwd: repo.dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c) => (stderr += String(c)));
      let done = false;
      const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1))).then((code) => ((done = true), code));
      while (!done && kinds[1]!.written() === 0) await sleep(5);
      const before = kinds[1]!.written();
      await s3.stop();
      const code = await exited;
      const after = kinds[1]!.written();
      await s3.start();
      if (code === 0) continue; // finished before the stop
      expect(before).toBeGreaterThan(0);
      expect(after).toBeLessThan(125);
      expect(stderr).toMatch(/not reachable|failed/);
      landed = { repo, env };
    }
    expect(landed, 'the server never went away mid-push in 3 attempts').not.toBeNull();
    const { repo, env } = landed!;
    const r = JSON.parse((await cairnOk(['push', '--json'], { cwd: repo.dir, env })).stdout);
    expect(r.uploaded + r.present).toBe(125);
    const all = kinds[1]!.objects();
    expect(all.size).toBe(125);
    for (const [hash, bytes] of all) expect(hashBytes(bytes), hash).toBe(hash);
    await cairnOk(['verify', '--remote'], { cwd: repo.dir, env });
  });
});

describe('temp files that killed pushes leave on a folder remote', () => {
  const deadPid = (): number => spawnSync('true').pid!;
  const hoursAgo = (file: string, hours: number): void => {
    const then = new Date(Date.now() - hours * 3600 * 1000);
    fs.utimesSync(file, then, then);
  };

  it('the names the cache code writes are the names the sweep recognises', () => {
    const cache = new Cache(tempDir());
    expect(path.basename(cache.tempPath())).toMatch(REMOTE_TEMP_NAME);
  });

  it('are swept by the next push once stale; user files that merely contain the marker, folders, and fresh or live temps are kept', async () => {
    const { repo, env } = await project(kinds[0]!);
    const store = JSON.parse(repo.read('.cairn/config.json')).remotes.origin.url as string;
    repo.write('more.bin', Buffer.alloc(5000, 3));
    await cairnOk(['add', 'more.bin'], { cwd: repo.dir, env });
    const hex = (JSON.parse(repo.read('more.bin.cairn')).hash as string).slice(7);
    const tmp = path.join(store, 'tmp');
    const objectDir = path.join(store, 'objects', hex.slice(0, 2));
    fs.mkdirSync(tmp, { recursive: true });
    fs.mkdirSync(objectDir, { recursive: true });
    const put = (file: string, hours: number): string => {
      fs.writeFileSync(file, Buffer.alloc(4096, 1));
      hoursAgo(file, hours);
      return file;
    };
    const dead = deadPid();
    const stale = [
      put(path.join(tmp, `.cairn-tmp-${dead}-0badf00d-0`), 2), // a large upload's temp, its push killed 2 hours ago
      put(path.join(objectDir, `.cairn-tmp-${dead}-0badf00d-1`), 2), // a batched small object's temp
      put(path.join(tmp, `.cairn-tmp-${process.pid}-0badf00d-2`), 30), // a live (reused) pid, but older than a day
    ];
    const kept = [
      put(path.join(tmp, 'notes.cairn-tmp-keep'), 30), // a user's file with the marker in its name
      put(path.join(tmp, `.cairn-tmp-${dead}-0badf00d-3.bak`), 30), // not cairn's exact pattern
      put(path.join(tmp, `.cairn-tmp-${dead}-0badf00d-4`), 0), // fresh: maybe another machine's upload in flight
      put(path.join(tmp, `.cairn-tmp-${process.pid}-0badf00d-5`), 2), // its process still runs
    ];
    const folder = path.join(tmp, `.cairn-tmp-${dead}-0badf00d-6`); // a folder cairn never makes
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'inside'), 'user data');
    hoursAgo(folder, 30);

    const r = JSON.parse((await cairnOk(['push', '--json'], { cwd: repo.dir, env })).stdout);
    expect(r.sweptTemps).toBe(3);
    for (const f of stale) expect(fs.existsSync(f), f).toBe(false);
    for (const f of kept) expect(fs.existsSync(f), f).toBe(true);
    expect(fs.readFileSync(path.join(folder, 'inside'), 'utf8')).toBe('user data');
    expect(r.uploaded).toBe(5);
  });
});
