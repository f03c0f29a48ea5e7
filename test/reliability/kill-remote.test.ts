import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addArtifacts, openRepo, pull, push, status } from '../../src/index.js';
import { cairnOk } from '../helpers/cli.js';
import { gitRepo, repoAt, tempDir } from '../helpers/repo.js';
import {
  expectNoBlockingLock,
  expectObjectsIntact,
  expectOneOf,
  expectPointersSatisfied,
  expectVerifyClean,
  killLoop,
  KILL_TEST_TIMEOUT_MS,
  killsIn,
  LINK_MODES,
  replaceFile,
  useLinkMode,
} from './harness.js';

function fill(dir: string, round: number): void {
  replaceFile(path.join(dir, 'big.bin'), Buffer.alloc(3 * 1024 * 1024, round & 0xff).fill(round >> 8, 0, 8));
  for (let i = 0; i < 60; i++) replaceFile(path.join(dir, 'data', `f${i}.bin`), Buffer.alloc(16 * 1024, (round + i) & 0xff).fill(round, 0, 4));
}

/** Temp files on a folder remote (where its uploads write them). */
function remoteTemps(store: string): string[] {
  const objects = path.join(store, 'objects');
  const dirs = [path.join(store, 'tmp'), ...(fs.existsSync(objects) ? fs.readdirSync(objects).map((p) => path.join(objects, p)) : [])];
  return dirs.flatMap((d) =>
    fs.existsSync(d)
      ? fs
          .readdirSync(d)
          .filter((n) => n.includes('.cairn-tmp-'))
          .map((n) => path.join(d, n))
      : [],
  );
}

describe.each(LINK_MODES)('kill -9 during transfers (%s mode)', (link) => {
  it(
    'push',
    async () => {
      const repo = gitRepo();
      await cairnOk(['init'], { cwd: repo.dir });
      useLinkMode(repo.dir, link);
      const store = path.join(tempDir(), 'store');
      await cairnOk(['remote', 'add', 'store', store, '--default', '--shared'], { cwd: repo.dir });
      const stats = await killLoop(
        {
          op: `push (${link})`,
          async prepare(round) {
            fill(repo.dir, round + 1);
            await addArtifacts(await openRepo(repo.dir), { cwd: repo.dir, paths: ['big.bin', 'data'] });
          },
          command: () => ({ args: ['push', '-j', '4'], cwd: repo.dir }),
          async afterKill() {
            expectObjectsIntact(path.join(store, 'objects'), 'remote');
            await expectNoBlockingLock(repo.dir);
          },
          async finish() {
            await push(await openRepo(repo.dir));
            const st = await status(await openRepo(repo.dir), { cwd: repo.dir, remote: true });
            expect(st.map((a) => a.notPushed)).toEqual([0, 0]);
          },
        },
        killsIn(link),
      );
      expect(stats.corruptions).toBe(0);
      expectObjectsIntact(path.join(store, 'objects'), 'remote at the end', true);
      // What the killed pushes left on the remote goes with a later push, once stale (pid gone, an hour untouched).
      const hourAgo = new Date(Date.now() - 2 * 3600 * 1000);
      for (const t of remoteTemps(store)) fs.utimesSync(t, hourAgo, hourAgo);
      const swept = (await push(await openRepo(repo.dir))).sweptTemps;
      console.log(`[reliability] push (${link}): ${swept} temp file(s) left on the remote by the kills, swept by a later push`);
      expect(remoteTemps(store)).toEqual([]);
    },
    KILL_TEST_TIMEOUT_MS,
  );

  it(
    'pull',
    async () => {
      const src = gitRepo();
      await cairnOk(['init'], { cwd: src.dir });
      useLinkMode(src.dir, link);
      const store = path.join(tempDir(), 'store');
      await cairnOk(['remote', 'add', 'store', store, '--default', '--shared'], { cwd: src.dir });
      const versions: Map<string, Buffer>[] = [];
      for (const v of [1, 2]) {
        fill(src.dir, v);
        await addArtifacts(await openRepo(src.dir), { cwd: src.dir, paths: ['big.bin', 'data'] });
        src.commit(`v${v}`);
        src.git('tag', `v${v}`);
        await push(await openRepo(src.dir));
        const files = new Map<string, Buffer>([['big.bin', fs.readFileSync(path.join(src.dir, 'big.bin'))]]);
        for (const n of fs.readdirSync(path.join(src.dir, 'data'))) files.set(`data/${n}`, fs.readFileSync(path.join(src.dir, 'data', n)));
        versions.push(files);
      }
      const cloneDir = path.join(tempDir(), 'clone');
      src.git('clone', '-q', src.dir, cloneDir);
      const clone = repoAt(cloneDir);
      useLinkMode(cloneDir, link);
      let target = 0;
      const stats = await killLoop(
        {
          op: `pull (${link})`,
          async prepare(round) {
            target = round % 2;
            // A fresh machine each round: no cache, no workspace copies, the version's pointers.
            fs.rmSync(path.join(cloneDir, '.git/cairn'), { recursive: true, force: true });
            fs.rmSync(path.join(cloneDir, 'data'), { recursive: true, force: true });
            fs.rmSync(path.join(cloneDir, 'big.bin'), { force: true });
            clone.git('checkout', '-q', '--detach', `v${target + 1}`);
          },
          command: () => ({ args: ['pull', '-j', '4'], cwd: cloneDir }),
          async afterKill() {
            expectObjectsIntact(path.join(cloneDir, '.git/cairn/cache/objects'), 'clone cache', true);
            for (const [rel, bytes] of versions[target]!) expectOneOf(path.join(cloneDir, rel), [null, bytes], rel);
            await expectNoBlockingLock(cloneDir);
          },
          async finish() {
            await pull(await openRepo(cloneDir), { cwd: cloneDir });
            for (const [rel, bytes] of versions[target]!) expect(fs.readFileSync(path.join(cloneDir, rel)).equals(bytes), rel).toBe(true);
            await expectPointersSatisfied(cloneDir, 'after re-run');
          },
        },
        killsIn(link),
      );
      expect(stats.corruptions).toBe(0);
      await expectVerifyClean(cloneDir, 'at the end');
    },
    KILL_TEST_TIMEOUT_MS,
  );
});
