/**
 * The kill -9 harness: run a cairn command in a child process, kill it at a
 * random moment (seeded, printed, replayable with CAIRN_TEST_SEED), check the
 * promises of docs/DATA-SAFETY.md, finish the operation, check again.
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
import type { LinkType } from '../../src/store/linkType.js';

/**
 * Kills per operation in copy mode. The kill times are stratified (see
 * {@link killLoop}): kill k lands in the k-th of KILLS equal slices of the
 * operation's run, so 12 kills reach every twelfth of it (start-up, reading,
 * hashing, object writes, pointers, git), where 12 uniform random times left
 * slices unvisited. `CAIRN_KILLS=50 CAIRN_LINK_KILLS=20` is the deep run
 * (the figures of RELIABILITY.md); the default keeps `npm test` under 6
 * minutes on 2 cores.
 */
export const KILLS = Number(process.env.CAIRN_KILLS ?? 12);
/** Kills per operation in each of the hardlink and symlink modes (the copy-mode kills cover the shared code paths). */
export const LINK_KILLS = Number(process.env.CAIRN_LINK_KILLS ?? 6);
/** A kill loop's time limit, for deep runs: about 2 s per kill on a loaded 2-core machine, never under vitest's 120 s. */
export const KILL_TEST_TIMEOUT_MS = Math.max(120_000, 2_500 * Math.max(KILLS, LINK_KILLS) * 2);

/** The link modes the kill suites run in (reflink is a plain copy on ext4). */
export const LINK_MODES = ['copy', 'hardlink', 'symlink'] as const satisfies readonly LinkType[];

/** How many kills an operation gets in a link mode. */
export function killsIn(link: LinkType): number {
  return link === 'copy' ? KILLS : LINK_KILLS;
}

/** Make a repository (or clone) use this link mode, through its uncommitted config. */
export function useLinkMode(dir: string, link: LinkType): void {
  fs.mkdirSync(path.join(dir, '.cairn'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.cairn', 'config.local.json'), JSON.stringify({ cache: { link } }, null, 2) + '\n');
}

/** Write a file as a user would replace it: a new file, never through a link into the cache. */
export function replaceFile(file: string, bytes: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, bytes);
}

export interface KillStats {
  op: string;
  seed: number;
  kills: number;
  /** Runs that finished before their kill time (not counted as kills). */
  finished: number;
  /** Damage the checks found after kills: each damaged object, file or tag counts once. The loop fails when it is not 0. */
  corruptions: number;
  /** What was found, by round. */
  findings: string[];
}

/** The findings of the kill loop running now (null: none runs, so a check that finds damage fails at once). */
let findings: string[] | null = null;

/** A check found damage: counted by the kill loop running (which fails at its end), or a failure now. */
export function damage(message: string): void {
  if (findings) findings.push(message);
  else expect.fail(message);
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

async function runOnce(
  command: { args: string[]; cwd: string; env?: Record<string, string> },
  killAfterMs: number | null,
): Promise<{ killed: boolean; ms: number; code: number | null; stderr: string }> {
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

/**
 * Run the loop until `kills` kills have landed; returns the figures. The
 * checks after each kill count the damage they find (see {@link damage});
 * the loop fails at its end when any was found, and prints what it measured.
 */
export async function killLoop(loop: KillLoop, kills = KILLS): Promise<KillStats> {
  const seed = testSeed(20261122);
  const random = seededRandom(seed + [...loop.op].reduce((n, c) => n * 31 + c.charCodeAt(0), 0));
  console.log(`[reliability] ${loop.op}: seed ${seed} (replay with CAIRN_TEST_SEED=${seed})`);
  const stats: KillStats = { op: loop.op, seed, kills: 0, finished: 0, corruptions: 0, findings: [] };
  const check = async (round: number, killed: boolean): Promise<void> => {
    const before = stats.findings.length;
    findings = stats.findings;
    try {
      await loop.afterKill(round, killed);
    } catch (err) {
      // A check that threw (an assertion in the test's own afterKill) found one thing wrong.
      stats.findings.push((err as Error).message);
    } finally {
      findings = null;
    }
    for (let i = before; i < stats.findings.length; i++) stats.findings[i] = `round ${round}${killed ? ' (killed)' : ''}: ${stats.findings[i]}`;
    stats.corruptions = stats.findings.length;
  };
  try {
    // Calibrate: one full run, to know how long the operation takes.
    await loop.prepare(0);
    const calibration = await runOnce(loop.command(0), null);
    expect(calibration.code, `${loop.op} calibration run failed: ${calibration.stderr}`).toBe(0);
    await check(0, false);
    await loop.finish(0);
    let span = calibration.ms;
    for (let round = 1; stats.kills < kills && round <= kills * 4; round++) {
      await loop.prepare(round);
      // Stratified: the next kill lands at a random point of its own slice of the run
      // (a run that finished first shrinks the span and retries the slice).
      const at = Math.floor(((stats.kills + random()) / kills) * span);
      const run = await runOnce(loop.command(round), at);
      if (run.killed) stats.kills++;
      else {
        stats.finished++;
        span = Math.max(20, span * 0.8); // aim earlier next time
        expect(run.code, `${loop.op} round ${round} failed: ${run.stderr}`).toBe(0);
      }
      await check(round, run.killed);
      await loop.finish(round);
    }
  } finally {
    console.log(`[reliability] ${loop.op}: ${stats.kills} kills survived, ${stats.finished} runs finished first, ${stats.corruptions} corruptions found`);
  }
  expect(stats.findings.slice(0, 10), `${loop.op}: ${stats.corruptions} corruption(s) found after kills`).toEqual([]);
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
    if (hashBytes(bytes) !== hash) {
      seen.delete(hash); // still damaged next time: counted again by the next check that sees it
      damage(`${what}: object ${hash} has other bytes`);
    }
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
  for (const hash of repo.cache.missing(needed.objects.keys())) damage(`${what}: object ${hash} that a pointer names is not in the cache`);
}

/** No lock left by a killed process blocks the next operation: the exclusive lock is taken at once. */
export async function expectNoBlockingLock(dir: string): Promise<void> {
  const repo = await openRepo(dir);
  const lock = await lockExclusive(repo.cache.locksDir, { timeoutMs: 3000, command: 'reliability check' });
  lock.release();
}

/** A file's bytes are one of the candidates (null: the file does not exist). */
export function expectOneOf(file: string, candidates: (Buffer | string | null)[], what: string): void {
  let bytes: Buffer | null = null;
  if (fs.lstatSync(file, { throwIfNoEntry: false })) {
    try {
      bytes = fs.readFileSync(file);
    } catch (err) {
      return damage(`${what}: ${file} is there but cannot be read (${(err as NodeJS.ErrnoException).code}): a link to nothing?`);
    }
  }
  const ok = candidates.some((c) => (c === null ? bytes === null : bytes !== null && bytes.equals(Buffer.from(c))));
  if (!ok) damage(`${what}: ${file} is neither the old nor the new version (${bytes === null ? 'missing' : `${bytes.length} bytes`})`);
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
