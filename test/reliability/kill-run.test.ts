/**
 * kill -9 of `cairn run` at random moments (seeded, printed, replayable with
 * CAIRN_TEST_SEED): while the command runs, while outputs are added, between
 * the commit and the tag. After every kill, git holds no partial commit or
 * tag: every tag names a run commit of its version with the whole message,
 * and a run commit without its tag is only ever HEAD with a journal that
 * says `recording` (the next run finishes it). After the last kill, one
 * plain run finishes everything: every run commit tagged, nothing staged,
 * no journal, git fsck and cairn verify clean.
 *
 * Chains of kills run concurrently in separate repositories, each run
 * recovering what the one before it left.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BIN, cairn, cairnOk } from '../helpers/cli.js';
import { tempDir, type TestRepo } from '../helpers/repo.js';
import { seededRandom, testSeed } from '../helpers/random.js';
import { trainingRepo } from '../helpers/training.js';

const CHAINS = 5;
const KILLS_PER_CHAIN = Number(process.env.CAIRN_RUN_KILLS ?? 5);
// The interpreter itself, not a version manager's shim in front of it: each run starts faster.
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const RUN = ['run', '--allow-dirty', '--', PYTHON, 'train.py'];
const POINTERS = ['results/.gitignore', 'results/experiments.db.cairn'];

/** Start `cairn run` and kill -9 it after `delayMs`. */
async function runAndKill(cwd: string, env: NodeJS.ProcessEnv, delayMs: number): Promise<'killed' | 'finished'> {
  const child = spawn('node', [BIN, ...RUN], { cwd, env: { ...process.env, ...env }, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const winner = await Promise.race([sleep(delayMs).then(() => 'timer' as const), exited.then(() => 'exit' as const)]);
  if (winner === 'exit') return 'finished';
  child.kill('SIGKILL');
  await exited;
  return 'killed';
}

/**
 * Wait until no process works in `dir` any more: a kill -9 of cairn leaves
 * the git it had started (a commit, a tag) running to its end, and checking
 * the repository while that git still moves HEAD reads two different states.
 */
async function processesGone(dir: string): Promise<void> {
  const inDir = (): number[] =>
    fs.readdirSync('/proc').flatMap((name) => {
      if (!/^\d+$/.test(name) || Number(name) === process.pid) return [];
      try {
        const cwd = fs.readlinkSync(`/proc/${name}/cwd`);
        return cwd === dir || cwd.startsWith(`${dir}/`) ? [Number(name)] : [];
      } catch {
        return [];
      }
    });
  for (let i = 0; i < 600 && inDir().length > 0; i++) await sleep(25);
  expect(inDir()).toEqual([]);
}

/** Wait until no training script is running (a killed cairn leaves its command running). */
async function scriptsGone(pids: string): Promise<void> {
  for (let i = 0; i < 600 && fs.readdirSync(pids).length > 0; i++) await sleep(25);
  expect(fs.readdirSync(pids)).toEqual([]);
}

function journal(repo: TestRepo): { phase: string; version: string } | null {
  const file = path.join(repo.dir, '.git/cairn/run.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { phase: string; version: string }) : null;
}

/** Where a kill left the run, for the log: no journal, command running, recording before or after the commit. */
function killedIn(repo: TestRepo): string {
  const pending = journal(repo);
  if (!pending) return 'no journal';
  if (pending.phase === 'running') return 'running';
  const subject = repo.git('log', '-1', '--format=%(trailers:key=Cairn-Version,valueonly,separator=)').trim();
  return subject === pending.version ? 'committed, not tagged' : 'recording, not committed';
}

/** The promises that hold after any kill; `final` adds: nothing pending at all. */
function checkNoHalfMadeRun(repo: TestRepo, where: string, final = false): number {
  const pending = journal(repo);
  const head = repo.git('rev-parse', 'HEAD').trim();
  // Run commits: those whose message carries Cairn-Version.
  const commits = repo
    .git('log', '--format=%H%x00%(trailers:key=Cairn-Version,valueonly,separator=)')
    .trim()
    .split('\n')
    .map((l) => l.split('\0') as [string, string])
    .filter(([, v]) => v !== '');
  const tags = new Map(
    repo
      .git('for-each-ref', '--format=%(refname:lstrip=2)%00%(*objectname)', 'refs/tags')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\0') as [string, string]),
  );
  for (const [commit, version] of commits) {
    if (tags.get(version) === commit) continue;
    // The one allowed gap: HEAD committed, tag not yet, and the journal says the next run finishes it.
    expect({ where, commit, version, final, head: commit === head, phase: pending?.phase, pendingVersion: pending?.version }).toEqual({
      where,
      commit,
      version,
      final: false,
      head: true,
      phase: 'recording',
      pendingVersion: version,
    });
  }
  const byVersion = new Map(commits.map(([c, v]) => [v, c]));
  for (const [tag, commit] of tags) {
    expect(byVersion.get(tag), `${where}: tag ${tag} names a run commit of its version`).toBe(commit);
    const message = repo.git('cat-file', 'tag', tag);
    for (const key of ['Cairn-Version: ', 'Cairn-Metric: f1=', `Cairn-Command: ${JSON.stringify([PYTHON, 'train.py'])}`, 'Cairn-Exit: 0', 'Cairn-Dirty: ']) {
      expect(message, `${where}: tag ${tag}`).toContain(key);
    }
  }
  // Staged: nothing, or the pending run's pointer (a kill between add and commit).
  const staged = repo.git('diff', '--cached', '--name-only').trim().split('\n').filter(Boolean);
  if (staged.length) {
    expect(
      staged.every((p) => POINTERS.includes(p)),
      `${where}: staged ${staged.join(', ')}`,
    ).toBe(true);
    expect(final ? null : pending?.phase, where).toBe('recording');
  }
  if (final) expect(pending, where).toBeNull();
  return tags.size;
}

describe.concurrent('kill -9 during cairn run', () => {
  const seed = testSeed(20261208);
  console.log(`cairn run kill test seed ${seed} (replay with CAIRN_TEST_SEED=${seed})`);

  for (let chain = 0; chain < CHAINS; chain++) {
    it(`leaves no half-made commit or tag, and the next run finishes or drops what it left (chain ${chain + 1}: ${KILLS_PER_CHAIN} kills)`, async () => {
      const random = seededRandom(seed + chain);
      const repo = await trainingRepo();
      const pids = tempDir('cairn-pids-');
      const env = { PIDS_DIR: pids };
      const started = Date.now();
      await cairnOk(RUN, { cwd: repo.dir, env });
      const fullMs = Math.max(300, Date.now() - started);
      await scriptsGone(pids);

      let killed = 0;
      const states: Record<string, number> = {};
      for (let round = 0; killed < KILLS_PER_CHAIN && round < KILLS_PER_CHAIN * 4; round++) {
        // Anywhere in a run, and a little past its usual end (recovery of the one before adds work).
        const outcome = await runAndKill(repo.dir, env, Math.floor(random() * fullMs * 1.2));
        if (outcome === 'killed') killed++;
        await scriptsGone(pids);
        await processesGone(fs.realpathSync(repo.dir));
        const state = outcome === 'killed' ? killedIn(repo) : 'finished';
        states[state] = (states[state] ?? 0) + 1;
        checkNoHalfMadeRun(repo, `chain ${chain + 1} round ${round} (${outcome})`);
      }
      expect(killed).toBe(KILLS_PER_CHAIN);
      console.log(`chain ${chain + 1} (seed ${seed + chain}): ${JSON.stringify(states)}`);

      const last = await cairn(RUN, { cwd: repo.dir, env });
      expect(last.exitCode, last.stderr).toBe(0);
      await scriptsGone(pids);
      const tagged = checkNoHalfMadeRun(repo, `chain ${chain + 1} final`, true);
      expect(tagged).toBeGreaterThanOrEqual(2);
      expect(repo.git('status', '--porcelain', '--untracked-files=no').trim()).toBe('');
      repo.git('fsck', '--no-dangling', '--no-progress');
      const verify = JSON.parse((await cairn(['verify', '--json'], { cwd: repo.dir })).stdout);
      expect(verify.corrupt).toEqual([]);
      expect(verify.missing).toEqual([]);
    });
  }
});
