import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { BIN, cairnOk } from '../helpers/cli.js';
import { gitRepo, linkedWorktree, type TestRepo } from '../helpers/repo.js';
import { expectObjectsIntact, expectPointersSatisfied, expectVerifyClean } from './harness.js';

/** Rounds of each race; 10 keeps `npm test` in its budget, `CAIRN_ROUNDS=20` (or more) is the deep run. */
const ROUNDS = Number(process.env.CAIRN_ROUNDS ?? 10);

function run(args: string[], cwd: string) {
  return execa(process.execPath, [BIN, ...args], { cwd, reject: false });
}

describe('concurrent cairn processes on one shared cache', () => {
  it(`4 processes adding overlapping content from 4 worktrees at once, ${ROUNDS} rounds`, async () => {
    const main = gitRepo();
    await cairnOk(['init'], { cwd: main.dir });
    main.commit('init');
    const trees: TestRepo[] = [main, ...[1, 2, 3].map((i) => linkedWorktree(main, `wt${i}`))];
    for (let round = 0; round < ROUNDS; round++) {
      trees.forEach((t, i) => {
        // Shared content (the same bytes in every worktree) and content of each worktree's own.
        t.write('shared/big.bin', Buffer.alloc(2 * 1024 * 1024, round & 0xff));
        for (let f = 0; f < 30; f++) t.write(`shared/f${f}.txt`, `round ${round} file ${f}`);
        t.write(`own/${i}.bin`, Buffer.alloc(1024 * 1024 + i, (round + i) & 0xff));
      });
      const results = await Promise.all(trees.map((t) => run(['add', 'shared', 'own'], t.dir)));
      for (const r of results) expect(r.exitCode, r.stderr).toBe(0);
      for (const t of trees) await expectPointersSatisfied(t.dir, `round ${round} ${t.dir}`);
      expectObjectsIntact(path.join(main.dir, '.git/cairn/cache/objects'), `round ${round}`);
    }
    const shared = new Set(trees.map((t) => t.read('shared.cairn')));
    expect(shared.size).toBe(1); // the same content, stored once, named the same everywhere
    await expectVerifyClean(main.dir, 'at the end');
  });

  it(`gc --yes running while adds run loses nothing, ${ROUNDS} rounds`, async () => {
    const main = gitRepo();
    await cairnOk(['init'], { cwd: main.dir });
    main.commit('init');
    const writers = [1, 2].map((i) => linkedWorktree(main, `w${i}`));
    for (let round = 0; round < ROUNDS; round++) {
      writers.forEach((w, i) => {
        w.write('model.bin', Buffer.alloc(4 * 1024 * 1024, (round * 2 + i) & 0xff).fill(round, 0, 4));
        for (let f = 0; f < 20; f++) w.write(`d/f${f}`, `r${round} w${i} f${f}`);
      });
      const adds = writers.map((w) => run(['add', 'model.bin', 'd'], w.dir));
      let done = false;
      void Promise.all(adds).then(() => (done = true));
      let gcs = 0;
      while (!done || gcs === 0) {
        const g = await run(['gc', '--yes'], main.dir);
        expect(g.exitCode, g.stderr).toBe(0);
        gcs++;
      }
      for (const r of await Promise.all(adds)) expect(r.exitCode, r.stderr).toBe(0);
      for (const w of writers) await expectPointersSatisfied(w.dir, `round ${round}`);
    }
    for (const w of writers) await expectVerifyClean(w.dir, 'at the end');
    expect(fs.existsSync(path.join(main.dir, '.git/cairn/cache/locks/exclusive'))).toBe(false);
  });
});
