import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addArtifacts, gc, modelPromote, openRepo, untrack } from '../../src/index.js';
import { listExperiments } from '../../src/experiments/list.js';
import { cairnOk } from '../helpers/cli.js';
import { gitRepo, tempDir } from '../helpers/repo.js';
import { sqliteResults } from '../helpers/results.js';
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
  useLinkMode,
} from './harness.js';

describe.each(LINK_MODES)('kill -9 during gc and model promote (%s mode)', (link) => {
  it(
    'gc --yes',
    async () => {
      const repo = gitRepo();
      await cairnOk(['init'], { cwd: repo.dir });
      useLinkMode(repo.dir, link);
      repo.write('keep/a.bin', Buffer.alloc(2 * 1024 * 1024, 1));
      for (let i = 0; i < 40; i++) repo.write(`keep/s${i}.bin`, `small ${i}`);
      await addArtifacts(await openRepo(repo.dir), { cwd: repo.dir, paths: ['keep'] });
      repo.commit('kept');
      const stats = await killLoop(
        {
          op: `gc (${link})`,
          async prepare(round) {
            // Garbage: content added, then untracked (its objects stay in the cache).
            for (let i = 0; i < 80; i++) repo.write(`junk/j${i}.bin`, `junk ${round} ${i}`);
            repo.write('junk/big.bin', Buffer.alloc(1024 * 1024, round & 0xff).fill(round >> 8, 0, 4));
            const r = await openRepo(repo.dir);
            await addArtifacts(r, { cwd: repo.dir, paths: ['junk'] });
            await untrack(r, { cwd: repo.dir, path: 'junk' });
            fs.rmSync(path.join(repo.dir, 'junk'), { recursive: true });
          },
          command: () => ({ args: ['gc', '--yes'], cwd: repo.dir }),
          async afterKill() {
            expectObjectsIntact(path.join(repo.dir, '.git/cairn/cache/objects'), 'cache');
            await expectPointersSatisfied(repo.dir, 'referenced objects survive a killed gc');
          },
          async finish() {
            const r = await gc(await openRepo(repo.dir), { yes: true }); // a stale exclusive lock must not block this
            expect(r.dryRun).toBe(false);
            expect((await gc(await openRepo(repo.dir))).unreferenced.count).toBe(0);
            await expectNoBlockingLock(repo.dir);
          },
        },
        killsIn(link),
      );
      expect(stats.corruptions).toBe(0);
      await expectVerifyClean(repo.dir, 'at the end');
    },
    KILL_TEST_TIMEOUT_MS,
  );

  // In symlink mode the candidates are links into the cache: model add and promote take them as candidates.
  it(
    'model promote',
    async () => {
      const repo = gitRepo();
      await cairnOk(['init'], { cwd: repo.dir });
      useLinkMode(repo.dir, link);
      const models = tempDir();
      const bytes = { r1: Buffer.alloc(3 * 1024 * 1024, 1), r2: Buffer.alloc(3 * 1024 * 1024 + 5, 2) };
      for (const [run, b] of Object.entries(bytes)) {
        fs.writeFileSync(path.join(models, `${run}.bin`), b);
        await cairnOk(['model', 'add', path.join(models, `${run}.bin`), '--run', run], { cwd: repo.dir });
      }
      const db = path.join(tempDir(), 'results.db');
      sqliteResults(db, 'metrics', [
        { run_id: 'r1', version: 'e0.1.0', f1: 0.5 },
        { run_id: 'r2', version: 'e0.1.0', f1: 0.6 },
      ]);
      const production = path.join(repo.dir, 'models/production/model.bin');
      const provenance = path.join(repo.dir, 'models/production/PROVENANCE.json');
      let run = 'r1';
      let before: { model: Buffer | null; provenance: Buffer | null } = { model: null, provenance: null };
      const stats = await killLoop(
        {
          op: `model promote (${link})`,
          async prepare(round) {
            run = round % 2 ? 'r2' : 'r1';
            before = {
              model: fs.existsSync(production) ? fs.readFileSync(production) : null,
              provenance: fs.existsSync(provenance) ? fs.readFileSync(provenance) : null,
            };
          },
          command: () => ({ args: ['model', 'promote', '--run', run, '--db', db, '--metric', 'f1'], cwd: repo.dir }),
          async afterKill() {
            expectOneOf(production, [before.model, bytes[run as 'r1' | 'r2']], 'production model');
            if (fs.existsSync(provenance)) {
              const text = fs.readFileSync(provenance, 'utf8');
              expect(() => JSON.parse(text), 'PROVENANCE.json is whole').not.toThrow();
            }
            expectObjectsIntact(path.join(repo.dir, '.git/cairn/cache/objects'), 'cache');
            await expectNoBlockingLock(repo.dir);
          },
          async finish() {
            await modelPromote(await openRepo(repo.dir), { cwd: repo.dir, run, db, metric: 'f1' });
            expect(fs.readFileSync(production).equals(bytes[run as 'r1' | 'r2'])).toBe(true);
            expect(JSON.parse(fs.readFileSync(provenance, 'utf8')).run).toBe(run);
            await expectPointersSatisfied(repo.dir, 'after re-run');
          },
        },
        killsIn(link),
      );
      expect(stats.corruptions).toBe(0);
      await expectVerifyClean(repo.dir, 'at the end');
    },
    KILL_TEST_TIMEOUT_MS,
  );
});

// tag writes no artifact, so the link mode cannot change what a kill leaves: copy mode only.
describe('kill -9 during tag', () => {
  it(
    'tag',
    async () => {
      const repo = gitRepo();
      await cairnOk(['init'], { cwd: repo.dir });
      repo.commit('init');
      let version = '';
      const stats = await killLoop({
        op: 'tag',
        async prepare(round) {
          repo.write('train.py', `round = ${round}\n`);
          repo.commit(`round ${round}`);
          version = `e${round}.0.0`;
        },
        command: () => ({ args: ['tag', version, '--no-db', '-m', 'kill test'], cwd: repo.dir }),
        async afterKill() {
          // The tag is either absent or complete: annotated, on HEAD, with its whole message.
          const found = (await listExperiments(repo.dir)).find((e) => e.tag === version);
          if (found) {
            expect(found.annotated).toBe(true);
            expect(found.commit).toBe(repo.git('rev-parse', 'HEAD').trim());
            expect(found.subject).toContain('kill test');
            expect(found.data).toMatch(/^sha256:/);
          }
          expect(repo.git('fsck', '--no-progress', '--no-dangling', '--connectivity-only')).toBe(''); // a dangling tag object from a killed run is fine
        },
        async finish() {
          if (!(await listExperiments(repo.dir)).some((e) => e.tag === version)) {
            await cairnOk(['tag', version, '--no-db', '-m', 'kill test'], { cwd: repo.dir });
          }
          expect((await listExperiments(repo.dir)).some((e) => e.tag === version)).toBe(true);
        },
      });
      expect(stats.corruptions).toBe(0);
    },
    KILL_TEST_TIMEOUT_MS,
  );
});
