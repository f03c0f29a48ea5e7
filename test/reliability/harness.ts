/**
 * The kill -9 harness: run a cairn command in a child process, kill it at a
 * random moment (seeded, printed, replayable with CAIRN_TEST_SEED), check the
 * promises of DESIGN §6, finish the operation, check again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { seededRandom, testSeed } from '../helpers/random.js';
import { openRepo, verify } from '../../src/index.js';
import { collectPointers, expandObjects } from '../../src/artifacts/references.js';
import { listObjectHashes } from '../../src/store/cache.js';
import { hashBytes } from '../../src/store/hash.js';
import { lockExclusive } from '../../src/durable/lock.js';
import { TEMP_MARKER } from '../../src/durable/atomicWrite.js';

/** Kills per operation (the issue asks for at least 50). */
export const KILLS = Number(process.env.CAIRN_KILLS ?? 50);

export interface KillStats {
  op: string;
  seed: number;
  kills: number;
  /** Runs that finished before their kill time (not counted as kills). */
  finished: number;
  /** Objects or targets found damaged (must stay 0: a failure throws first). */
  corruptions: number;
}

export interface KillLoop {
  op: string;
  /** Put the repository in its "before" state for a round. */
  prepare(round: number): Promise<void>;
  /** The command to kill. */
  command(round: number): { args: string[]; cwd: string; env?: Record<string, string> };
  /** Check the invariants right after the kill (or the finished run). */
  afterKill(round: number, killed: boolean): Promise<void>;
  /** Complete the operation (through the library) and check the final state. */
  finish(round: number): Promise<void>;
}

async function runOnce(command: { args: string[]; cwd: string; env?: Record<string, string> }, killAfterMs: number | null): Promise<{ killed: boolean; ms: number; code: number | null; stderr: string }> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...command.args], {
    cwd: command.cwd,
    env: { ...process.env, ...command.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += String(c)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  if (killAfterMs === null) {
    const code = await exited;
    return { killed: false, ms: Date.now() - started, code, stderr };
  }
  const winner = await Promise.race([sleep(killAfterMs).then(() => 'timer' as const), exited.then(() => 'exit' as const)]);
  if (winner === 'exit') return { killed: false, ms: Date.now() - started, code: await exited, stderr };
  child.kill('SIGKILL');
  await exited;
  return { killed: true, ms: Date.now() - started, code: null, stderr };
}

/** Run the loop until `kills` kills have landed; returns the figures. */
export async function killLoop(loop: KillLoop, kills = KILLS): Promise<KillStats> {
  const seed = testSeed(20261122);
  const random = seededRandom(seed + [...loop.op].reduce((n, c) => n * 31 + c.charCodeAt(0), 0));
  console.log(`[reliability] ${loop.op}: seed ${seed} (replay with CAIRN_TEST_SEED=${seed})`);
  // Calibrate: one full run, to know how long the operation takes.
  await loop.prepare(0);
  const calibration = await runOnce(loop.command(0), null);
  expect(calibration.code, `${loop.op} calibration run failed: ${calibration.stderr}`).toBe(0);
  await loop.afterKill(0, false);
  await loop.finish(0);
  const stats: KillStats = { op: loop.op, seed, kills: 0, finished: 0, corruptions: 0 };
  let span = calibration.ms;
  for (let round = 1; stats.kills < kills && round <= kills * 4; round++) {
    await loop.prepare(round);
    const at = Math.floor(random() * span);
    const run = await runOnce(loop.command(round), at);
    if (run.killed) stats.kills++;
    else {
      stats.finished++;
      span = Math.max(20, span * 0.8); // aim earlier next time
      expect(run.code, `${loop.op} round ${round} failed: ${run.stderr}`).toBe(0);
    }
    await loop.afterKill(round, run.killed);
    await loop.finish(round);
  }
  console.log(`[reliability] ${loop.op}: ${stats.kills} kills survived, ${stats.finished} runs finished first, 0 corruptions`);
  expect(stats.kills).toBeGreaterThanOrEqual(kills);
  return stats;
}

const intact = new Map<string, Set<string>>();

/**
 * Every object under a final name in an object store holds the bytes its
 * name says. Objects are never rewritten in place, so each is read once per
 * store (`all` reads them all again).
 */
export function expectObjectsIntact(objectsDir: string, what: string, all = false): number {
  let n = 0;
  let seen = intact.get(objectsDir);
  if (!seen || all) intact.set(objectsDir, (seen = new Set()));
  for (const hash of listObjectHashes(objectsDir)) {
    if (seen.has(hash)) continue;
    seen.add(hash);
    const hex = hash.slice(7);
    const bytes = fs.readFileSync(path.join(objectsDir, hex.slice(0, 2), hex.slice(2)));
    expect(hashBytes(bytes), `${what}: object ${hash} has other bytes`).toBe(hash);
    n++;
  }
  return n;
}

/** `cairn verify` of a worktree finds nothing wrong (it rehashes every object: use once per test). */
export async function expectVerifyClean(dir: string, what: string): Promise<void> {
  const result = await verify(await openRepo(dir));
  expect({ corrupt: result.corrupt, missing: result.missing, invalid: result.invalidPointers }, what).toEqual({ corrupt: [], missing: [], invalid: [] });
}

/** Every pointer of the worktree parses, and every object it needs is in the cache. */
export async function expectPointersSatisfied(dir: string, what: string): Promise<void> {
  const repo = await openRepo(dir);
  const needed = expandObjects(repo.cache, await collectPointers(repo, { workspace: true }));
  expect([...repo.cache.missing(needed.objects.keys())], what).toEqual([]);
}

/** No lock left by a killed process blocks the next operation: the exclusive lock is taken at once. */
export async function expectNoBlockingLock(dir: string): Promise<void> {
  const repo = await openRepo(dir);
  const lock = await lockExclusive(repo.cache.locksDir, { timeoutMs: 3000, command: 'reliability check' });
  lock.release();
}

/** A file's bytes are one of the candidates (null: the file does not exist). */
export function expectOneOf(file: string, candidates: (Buffer | string | null)[], what: string): void {
  const bytes = fs.existsSync(file) ? fs.readFileSync(file) : null;
  const ok = candidates.some((c) => (c === null ? bytes === null : bytes !== null && bytes.equals(Buffer.from(c))));
  expect(ok, `${what}: ${file} is neither the old nor the new version (${bytes === null ? 'missing' : `${bytes.length} bytes`})`).toBe(true);
}

/** Temp files left in a worktree's files (outside .git). */
export function workspaceTemps(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.git') continue;
      const p = path.join(d, e.name);
      if (e.name.includes(TEMP_MARKER)) out.push(p);
      if (e.isDirectory()) visit(p);
    }
  };
  visit(dir);
  return out;
}
