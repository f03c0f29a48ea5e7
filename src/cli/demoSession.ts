/**
 * `cairn demo`: build a small ML project in a folder and run the cairn
 * workflow on it, printing each command as a user would type it. Every step
 * runs the real CLI (bin/cairn.js) and the real git.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AlreadyExistsError, CairnError, UnsafeError } from '../errors.js';
import { writeDemoProject, writeParquet } from '../demo/project.js';

/** Options of {@link runDemo}: where to build the project, whether to keep it, and where the transcript goes. */
export interface DemoOptions {
  /** Where to build the project (a new temp folder by default). */
  dir?: string;
  /** Keep the folder afterwards. */
  keep?: boolean;
  /** Receives every line the demo prints. */
  print: (line: string) => void;
}

/** How the demo went: its folder (deleted unless `kept`), the number of commands it ran, and how long it took. */
export interface DemoResult {
  dir: string;
  kept: boolean;
  steps: number;
  seconds: number;
}

const BIN = fileURLToPath(new URL('../../bin/cairn.js', import.meta.url));

/** A shell-like rendering of a command, for the transcript. */
function shown(cmd: string, args: string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

class Session {
  steps = 0;
  constructor(
    readonly dir: string,
    private readonly print: (line: string) => void,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  say(text: string): void {
    this.print('');
    this.print(`# ${text}`);
  }

  /** Run a command in the project, echoing it and its output; fail loudly unless it exits `expect`. */
  run(cmd: string, args: string[], options: { expect?: number; cwd?: string } = {}): string {
    const cwd = options.cwd ?? this.dir;
    const rel = path.relative(this.dir, cwd);
    this.print(`${rel ? `(${rel}) ` : ''}$ ${shown(cmd, args)}`);
    const [file, argv] = cmd === 'cairn' ? [process.execPath, [BIN, ...args]] : [cmd, args];
    const r = spawnSync(file, argv, { cwd, env: this.env, encoding: 'utf8' });
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trimEnd();
    if (output) for (const line of output.split('\n')) this.print(`  ${line}`);
    this.steps++;
    if (r.status !== (options.expect ?? 0)) {
      throw new CairnError(`demo step failed: ${shown(cmd, args)} exited ${r.status}`, {
        hint: 'this is a bug in the demo or in cairn; please report it with the transcript above',
      });
    }
    return r.stdout ?? '';
  }

  /** Narrate a step done by hand (an edit). */
  note(text: string): void {
    this.print(`  (${text})`);
  }

  /** Change a file as a user would in an editor. */
  edit(file: string, change: (text: string) => string): void {
    fs.writeFileSync(file, change(fs.readFileSync(file, 'utf8')));
  }
}

/**
 * Everything the demo makes in its folder, beside `project` (the story's
 * `../` paths). Cleaning up removes these names and nothing else.
 */
const MADE = ['project', 'exp-augmented', 'explore-e0.1.0', 'explore-e0.4.0', 'store', 'clone', 'experiments-e0.1.0.db'] as const;

/**
 * The demo's folder: a new temp folder, or DIR, which must be new or empty
 * (a folder with anything in it is refused before anything is written).
 * `created` is the topmost folder made here, or null when DIR existed.
 */
function demoFolder(dir: string | undefined): { dir: string; created: string | null } {
  if (dir === undefined) {
    const made = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-demo-'));
    return { dir: made, created: made };
  }
  const resolved = path.resolve(dir);
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(resolved);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (st === null) {
    const created = fs.mkdirSync(resolved, { recursive: true }) ?? null;
    return { dir: resolved, created };
  }
  if (!st.isDirectory()) {
    throw new AlreadyExistsError(`${resolved} exists and is not a folder`, { hint: 'give a new or empty folder, or none for a temp folder' });
  }
  if (fs.readdirSync(resolved).length > 0) {
    throw new UnsafeError(`demo folder ${resolved} is not empty; the demo builds and then deletes its project there`, {
      hint: 'give a new or empty folder (cairn demo /tmp/cairn-demo), or none for a temp folder',
    });
  }
  return { dir: resolved, created: null };
}

/**
 * Remove what the demo made in `dir`, and `dir` itself (with the parents
 * made for it) only when the demo created it and it is empty by then.
 */
function cleanUp(dir: string, created: string | null): void {
  for (const name of MADE) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  if (created === null) return;
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      fs.rmdirSync(d);
    } catch {
      return; // not empty: something else lives there now
    }
    if (d === created) return;
  }
}

/** Run the whole demo. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const { dir, created } = demoFolder(options.dir);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: 'cairn demo',
    GIT_AUTHOR_EMAIL: 'demo@cairn.invalid',
    GIT_COMMITTER_NAME: 'cairn demo',
    GIT_COMMITTER_EMAIL: 'demo@cairn.invalid',
    CAIRN_NO_PROGRESS: '1',
  };
  const project = path.join(dir, 'project');
  fs.mkdirSync(project); // not recursive: fails rather than reuse a folder that appeared meanwhile
  const s = new Session(project, options.print, env);
  let ok = false;
  try {
    options.print(`cairn demo in ${project}`);
    await story(s);
    ok = true;
  } finally {
    if (!options.keep && ok) cleanUp(dir, created);
  }
  const seconds = (Date.now() - started) / 1000;
  return { dir, kept: Boolean(options.keep), steps: s.steps, seconds };
}

async function story(s: Session): Promise<void> {
  const db = 'results/experiments.db';
  const variant = path.join(path.dirname(s.dir), 'exp-augmented');
  const runOf = (out: string): string => (JSON.parse(out.trim().split('\n').pop()!) as { run: string }).run;

  s.say('a small ML project under git: synthetic parquet data and a training script');
  s.run('git', ['init', '-q', '-b', 'main']);
  await writeDemoProject(s.dir);
  s.run('git', ['add', 'train.mjs', 'README.md', '.gitignore']);
  s.run('git', ['commit', '-q', '-m', 'project skeleton']);

  s.say('track the data with cairn: the bytes go to the cache, git gets a small pointer');
  s.run('cairn', ['init']);
  s.note('say where results go and which metric matters, once, in .cairn/config.json');
  s.run('cairn', ['config', 'set', 'results.db', db]);
  s.run('cairn', ['config', 'set', 'metrics.primary', 'f1']);
  s.run('cat', ['.cairn/config.json']);
  s.run('cairn', ['add', 'data']);
  s.run('cat', ['data.cairn']);
  s.run('git', ['add', '.cairn/config.json']);
  s.run('git', ['commit', '-q', '-m', 'track data with cairn']);

  s.say('baseline: run, keep the results database and the model, tag the experiment');
  const baseline = runOf(s.run('node', ['train.mjs', '--lr', '0.01', '--version', 'e0.1.0']));
  s.run('cairn', ['add', db]);
  s.run('cairn', ['model', 'add', `models/out/${baseline}.bin`, '--run', baseline]);
  s.run('git', ['commit', '-q', '-m', 'baseline run']);
  s.run('cairn', ['tag', '-m', 'baseline']);

  s.say('a parallel sweep on one branch: each run writes its own results file, then they are merged');
  const sweep: string[] = [];
  for (const [i, lr] of ['0.001', '0.003', '0.03'].entries()) {
    sweep.push(runOf(s.run('node', ['train.mjs', '--lr', lr, '--version', 'e0.2.0', '--db', `results/sweep-${i + 1}.db`])));
  }
  s.run('cairn', ['merge', db, 'results/sweep-1.db', 'results/sweep-2.db', 'results/sweep-3.db']);
  s.run('cairn', ['merge', db, 'results/sweep-1.db']); // again: nothing is added twice
  for (const run of sweep) s.run('cairn', ['model', 'add', `models/out/${run}.bin`, '--run', run]);
  s.run('rm', ['results/sweep-1.db', 'results/sweep-2.db', 'results/sweep-3.db']);
  s.run('cairn', ['add', db]);
  s.run('git', ['commit', '-q', '-m', 'learning-rate sweep']);
  s.run('cairn', ['tag', '-m', 'lr sweep']);
  s.run('cairn', ['tags']);

  s.say('a variant that changes code and data gets its own worktree, sharing the cache');
  s.run('cairn', ['worktree', 'new', 'augmented']);
  s.note('edit train.mjs (augment = true) and add more training data, in ../exp-augmented');
  s.edit(path.join(variant, 'train.mjs'), (text) => text.replace('const augment = false;', 'const augment = true;'));
  await writeParquet(path.join(variant, 'data', 'extra.parquet'), 10_000, 3);
  const augmented = runOf(s.run('node', ['train.mjs', '--lr', '0.003', '--version', 'exp-augmented-v1'], { cwd: variant }));
  s.run('cairn', ['add', 'data', db], { cwd: variant });
  s.run('git', ['commit', '-q', '-am', 'augmented data'], { cwd: variant });
  s.run('cairn', ['tag', 'exp-augmented-v1', '-m', 'augmentation'], { cwd: variant });
  s.run('cairn', ['worktree', 'list']);

  s.say("merge the variant's results back, straight from its branch (no checkout needed)");
  s.run('cairn', ['merge', db, `exp/augmented:${db}`]);
  s.run('cairn', ['model', 'add', `../exp-augmented/models/out/${augmented}.bin`, '--run', augmented]);
  s.run('cairn', ['add', db]);
  s.run('git', ['commit', '-q', '-m', "merge the augmented variant's results"]);

  s.say('promote the sweep winner to production, prune the candidates, tag');
  s.run('cairn', ['model', 'promote', '--version', 'e0.2.0']);
  s.run('cairn', ['model', 'prune', '--keep', '3']);
  s.run('cairn', ['model', 'list']);
  s.run('git', ['commit', '-q', '-m', 'promote the sweep winner']);
  s.run('cairn', ['tag', '--no-db', '-m', 'production model from the sweep']);

  s.say('one command from a clean tree to a tagged experiment, and proof that its numbers come back');
  s.note('cairn run takes the next version, gives it to the script as CAIRN_VERSION, adds results.db, commits and tags');
  s.run('cairn', ['run', '-m', 'lr 0.02 in one step', '--', 'node', 'train.mjs', '--lr', '0.02']);
  s.run('cairn', ['explore', 'show', 'e0.4.0']);
  s.run('cairn', ['reproduce', 'e0.4.0']);

  s.say('share everything: push to a remote (a folder here; s3:// works the same), pull into a fresh clone');
  s.run('cairn', ['remote', 'add', 'store', '../store', '--default', '--shared']);
  s.run('git', ['commit', '-q', '-m', 'cairn remote']);
  s.run('cairn', ['push', '--all-tags', '--all-branches']);
  s.run('git', ['clone', '-q', '.', '../clone']);
  const clone = path.join(path.dirname(s.dir), 'clone');
  s.run('cairn', ['pull'], { cwd: clone });
  s.run('cairn', ['status'], { cwd: clone });

  s.say('explore the history without touching the workspace');
  s.run('cairn', ['explore', 'list', '--sort', 'f1']);
  s.run('cairn', ['explore', 'show', 'e0.2.0']);
  s.run('cairn', ['explore', 'diff', 'e0.1.0', 'e0.2.0']);
  s.run('cairn', ['explore', 'get', 'e0.1.0', db, '-o', '../experiments-e0.1.0.db']);
  s.run('cairn', ['explore', 'lineage', 'data/train.parquet']);
  s.run('cairn', ['explore', 'checkout', 'e0.1.0']);
  s.run('cairn', ['explore', 'worktrees']);

  s.say('clean up: the variant is tagged and pushed, so its worktree can go; then the exploration');
  s.run('cairn', ['worktree', 'rm', 'augmented', '--delete-branch']);
  s.run('cairn', ['explore', 'cleanup']);
  s.run('cairn', ['hooks', 'install']);
  s.run('cairn', ['gc']);
  s.run('cairn', ['verify']);
}
