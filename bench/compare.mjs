#!/usr/bin/env node
// Two builds of cairn against each other on the common commands: each
// command runs with build A and build B in turn (A B, then B A, ...) on the
// same fixture, at least 5 runs each, and the table gives both medians and
// B / A. Used to check that a change (a merge of refactors) made no command
// slower: a row above 1 + --slack is flagged.
//
//   node bench/compare.mjs <A/bin/cairn.js> [<B/bin/cairn.js>] [--runs N] [--files N] [--big MiB]
//                          [--tags N] [--rows N] [--only status,add-small,...] [--slack 0.05]
//
// B defaults to this checkout's bin/cairn.js. The fixture (repos, tags,
// databases) is made with build A, so both builds must read the same formats.
// The machine's load average is printed with the table; on a shared machine
// rerun a flagged row before believing it (the best-of-runs ratio beside the
// median one is less moved by other processes). Exit code 1 when a row is flagged.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { CAIRN, benchEnv, gitInit, loadAverage, makeBigFile, makeSmallFiles, makeTagRepo, median, sh, workDir } from './lib.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
if (positional.length < 1) {
  console.error(
    'usage: node bench/compare.mjs <A/bin/cairn.js> [<B/bin/cairn.js>] [--runs N] [--files N] [--big MiB] [--tags N] [--rows N] [--only a,b] [--slack 0.05]',
  );
  process.exit(2);
}
const A = path.resolve(positional[0]);
const B = path.resolve(positional[1] ?? CAIRN);
for (const bin of [A, B]) {
  if (!fs.existsSync(bin)) {
    console.error(`compare: no ${bin}`);
    process.exit(2);
  }
}
const RUNS = Math.max(5, Number(flag('--runs', 7)));
const FILES = Number(flag('--files', 5000));
const BIG = Number(flag('--big', 256)) * 2 ** 20;
const TAGS = Number(flag('--tags', 500));
const ROWS = Number(flag('--rows', 100_000));
const SLACK = Number(flag('--slack', 0.05));
const only = flag('--only', null)?.split(',');

const node = process.execPath;
const env = benchEnv();
const work = workDir('compare');
const at = (...p) => path.join(work, ...p);
const { renderTagMessage } = await import(pathToFileURL(path.join(path.dirname(A), '..', 'dist', 'index.js')).href);

// ---------- fixture (made with A) ----------
console.error(`fixture: ${FILES} files of 4 KiB, one ${BIG / 2 ** 20} MiB file, ${TAGS} tags, 2 x ${ROWS} SQLite rows ...`);
const src = at('src');
makeSmallFiles(path.join(src, 'data'), FILES, 4096);
makeBigFile(path.join(src, 'big.bin'), BIG);
const repo = at('repo');
gitInit(repo, env);
sh(node, [A, 'init'], { cwd: repo, env });
sh('cp', ['-a', path.join(src, 'data'), path.join(repo, 'data')]);
fs.mkdirSync(path.join(repo, 'models'));
sh('cp', ['-a', path.join(src, 'big.bin'), path.join(repo, 'models', 'big.bin')]);
sh(node, [A, 'add', 'data', 'models/big.bin'], { cwd: repo, env });
sh('git', ['add', '-A'], { cwd: repo, env });
sh('git', ['commit', '-q', '-m', 'artifacts'], { cwd: repo, env });
const setLink = (link) => fs.writeFileSync(path.join(repo, '.cairn', 'config.json'), JSON.stringify({ cache: { link } }) + '\n');
setLink('copy');
sh('git', ['commit', '-q', '-am', 'copy mode'], { cwd: repo, env });
for (let i = 0; i < 2; i++) sh(node, [A, 'status'], { cwd: repo, env }); // the stat cache filled
const tags = at('tags');
makeTagRepo(tags, TAGS, env, renderTagMessage, A);
sh(node, [A, 'tags', '--json'], { cwd: tags, env }); // tag summaries written
function makeDb(file, from, to) {
  const db = new Database(file);
  db.pragma('journal_mode = OFF');
  db.exec('CREATE TABLE runs (track_id TEXT, timestamp TEXT, model TEXT, acc REAL)');
  const put = db.prepare('INSERT INTO runs VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = from; i < to; i++) put.run(`run-${i % 1000}`, `2024-01-01 00:00:00.${String(i).padStart(7, '0')}`, `m${i % 7}`, (i % 997) / 997);
  })();
  db.close();
}
makeDb(at('target.db'), 0, ROWS);
makeDb(at('source.db'), ROWS / 2, ROWS * 1.5);

/** A fresh repo with cairn initialised (by A) and the source files linked in. */
let fresh = 0;
function freshRepo(what) {
  const dir = at(`fresh-${++fresh}`);
  gitInit(dir, env);
  sh(node, [A, 'init'], { cwd: dir, env });
  if (what === 'small') sh('cp', ['-al', path.join(src, 'data'), path.join(dir, 'data')]);
  else fs.linkSync(path.join(src, 'big.bin'), path.join(dir, 'big.bin'));
  return dir;
}
const dropFresh = () => {
  for (const n of fs.readdirSync(work)) if (n.startsWith('fresh-')) fs.rmSync(at(n), { recursive: true, force: true });
};
let branch = 0;
const dropWorktrees = () => {
  for (const n of fs.readdirSync(work)) if (n.startsWith('wt-')) sh('git', ['worktree', 'remove', '--force', '--force', at(n)], { cwd: repo, env });
  sh('git', ['worktree', 'prune'], { cwd: repo, env });
};

/** name, [prepare() → cwd, args(i)], cleanup. Each prepare leaves the state the command starts from. */
const cases = [
  ['version', () => repo, () => ['--version']],
  ['status', () => repo, () => ['status']],
  ['status-json', () => repo, () => ['status', '--json']],
  ['checkout-copy', () => (setLink('copy'), fs.rmSync(path.join(repo, 'data'), { recursive: true, force: true }), repo), () => ['checkout']],
  ['checkout-hardlink', () => (setLink('hardlink'), fs.rmSync(path.join(repo, 'data'), { recursive: true, force: true }), repo), () => ['checkout']],
  ['add-small', () => freshRepo('small'), () => ['add', 'data'], dropFresh],
  ['add-big-copy', () => freshRepo('big'), () => ['add', 'big.bin'], dropFresh],
  // The new worktree reads the committed config (copy mode): hardlink comes from the environment.
  [
    'worktree-new-hardlink',
    () => (dropWorktrees(), repo),
    () => ['worktree', 'new', `c${++branch}`, '--path', at(`wt-${branch}`)],
    dropWorktrees,
    { CAIRN_CACHE_LINK: 'hardlink' },
  ],
  ['verify', () => repo, () => ['verify']],
  ['gc-dry-run', () => repo, () => ['gc']],
  ['tags-json', () => tags, () => ['tags', '--json']],
  ['next', () => tags, () => ['next']],
  ['explore-list-json', () => tags, () => ['explore', 'list', '--json']],
  ['merge-sqlite', () => (fs.copyFileSync(at('target.db'), at('run.db')), work), () => ['merge', 'run.db', 'source.db']],
];
// worktree new takes --path when it has it; otherwise the default place is used.
if (!sh(node, [A, 'worktree', 'new', '--help'], { env }).includes('--path'))
  cases.find((c) => c[0] === 'worktree-new-hardlink')[2] = () => ['worktree', 'new', `c${++branch}`];

function once(bin, prepare, argv, extraEnv = {}) {
  const cwd = prepare();
  spawnSync('sync');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(node, [bin, ...argv()], { cwd, env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${bin} ${argv().join(' ')} exited ${r.status}: ${r.stderr}`);
  return s;
}

const load0 = loadAverage();
const rows = [];
for (const [name, prepare, argv, cleanup, extraEnv] of cases) {
  if (only && !only.includes(name)) continue;
  const a = [];
  const b = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      // Alternate who goes first, so that neither always runs on a warmer cache.
      if (i % 2 === 0) {
        a.push(once(A, prepare, argv, extraEnv));
        b.push(once(B, prepare, argv, extraEnv));
      } else {
        b.push(once(B, prepare, argv, extraEnv));
        a.push(once(A, prepare, argv, extraEnv));
      }
    }
  } catch (err) {
    console.error(`  ${name}: failed, left out (${String(err.message).split('\n')[0].slice(0, 300)})`);
    continue;
  } finally {
    cleanup?.();
  }
  console.error(`  ${name}: A ${a.map((t) => t.toFixed(3)).join(' ')}\n  ${' '.repeat(name.length)}  B ${b.map((t) => t.toFixed(3)).join(' ')}`);
  rows.push({ name, a: median(a), b: median(b), minA: Math.min(...a), minB: Math.min(...b) });
}
setLink('copy');

const lines = [
  `## build B against build A (${RUNS} interleaved runs each, medians; load average ${load0} at start, ${loadAverage()} at end)`,
  '',
  `A: ${A}  `,
  `B: ${B}`,
  '',
  '| command | A (s) | B (s) | B / A | best B / best A | slower by more than ' + Math.round(SLACK * 100) + '% |',
  '|---|---:|---:|---:|---:|:---:|',
];
for (const r of rows)
  lines.push(
    `| ${r.name} | ${r.a.toFixed(3)} | ${r.b.toFixed(3)} | ${(r.b / r.a).toFixed(3)} | ${(r.minB / r.minA).toFixed(3)} | ${r.b / r.a > 1 + SLACK ? 'YES' : 'no'} |`,
  );
console.log(lines.join('\n') + '\n');
fs.rmSync(work, { recursive: true, force: true });
process.exitCode = rows.some((r) => r.b / r.a > 1 + SLACK) ? 1 : 0;
