import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BIN, cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo } from '../helpers/repo.js';
import { seededRandom, testSeed } from '../helpers/random.js';
import { hashBytes } from '../../src/store/hash.js';
import { expectObjectsIntact, KILLS, KILL_TEST_TIMEOUT_MS } from '../reliability/harness.js';

const SIZE = 48 * 1024 * 1024;

/** Start `cairn add` and kill -9 it after `delayMs`; resolves when it is gone. */
async function addAndKill(cwd: string, file: string, delayMs: number): Promise<'killed' | 'finished'> {
  const child = spawn('node', [BIN, 'add', file], { cwd, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const winner = await Promise.race([sleep(delayMs).then(() => 'timer' as const), exited.then(() => 'exit' as const)]);
  if (winner === 'exit') return 'finished';
  child.kill('SIGKILL');
  await exited;
  return 'killed';
}

describe('kill -9 during add', () => {
  it(
    `never leaves a corrupt object, and the next add succeeds (${KILLS} kills)`,
    async () => {
      const seed = testSeed(20261122);
      console.log(`kill test seed ${seed} (replay with CAIRN_TEST_SEED=${seed})`);
      const random = seededRandom(seed);
      const repo = gitRepo();
      await cairnOk(['init'], { cwd: repo.dir });
      const file = path.join(repo.dir, 'big.bin');
      const data = Buffer.alloc(SIZE);
      for (let i = 0; i < SIZE; i += 4096) data.writeUInt32LE((i * 2654435761) >>> 0, i);
      fs.writeFileSync(file, data);
      const started = Date.now();
      await cairnOk(['add', 'big.bin'], { cwd: repo.dir });
      const fullMs = Math.max(200, Date.now() - started);
      const objects = path.join(repo.dir, '.git/cairn/cache/objects');

      let killed = 0;
      for (let round = 0; round < KILLS; round++) {
        // New content every round, so each add really hashes and stores.
        data.writeUInt32LE(round + 1, 0);
        data.writeUInt32LE(Math.floor(random() * 2 ** 32), SIZE - 4);
        fs.writeFileSync(file, data);
        // Stratified: kill k lands in the k-th of KILLS slices of the add; one that finished first is retried earlier.
        for (let scale = 1; scale > 0.01; scale /= 2) {
          if ((await addAndKill(repo.dir, 'big.bin', Math.floor(((round + random()) / KILLS) * fullMs * scale))) === 'killed') {
            killed++;
            break;
          }
        }
        // Every object under a final name holds the bytes its name says (each new object hashed once);
        // the pointer names the old or the new content, and the cache has that object. `cairn verify`, which
        // rehashes every object, runs once at the end.
        expectObjectsIntact(objects, `round ${round}`);
        const pointer = JSON.parse(repo.read('big.bin.cairn'));
        expect(pointer.size).toBe(SIZE);
        expect(fs.existsSync(path.join(objects, pointer.hash.slice(7, 9), pointer.hash.slice(9))), `round ${round}: the object the pointer names`).toBe(true);
      }
      expect(killed).toBeGreaterThanOrEqual(KILLS);

      const v = JSON.parse((await cairn(['verify', '--json'], { cwd: repo.dir })).stdout);
      expect({ corrupt: v.corrupt, missing: v.missing, invalid: v.invalidPointers }).toEqual({ corrupt: [], missing: [], invalid: [] });
      const final = await cairnOk(['add', 'big.bin'], { cwd: repo.dir });
      expect(final.stdout).toMatch(/big\.bin/);
      expect(JSON.parse(repo.read('big.bin.cairn')).hash).toBe(hashBytes(fs.readFileSync(file)));
      expect(JSON.parse((await cairnOk(['status', '--json'], { cwd: repo.dir })).stdout).artifacts[0].state).toBe('unchanged');
    },
    KILL_TEST_TIMEOUT_MS,
  );
});
