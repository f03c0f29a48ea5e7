#!/usr/bin/env node
// Start-up bench for `cairn tags --json` and `cairn next` (issue 4).
//
// Builds a repository with 1,000 annotated experiment tags on 1,000 commits
// (one `git fast-import`; messages rendered by cairn itself), then times each
// command against the floor for any Node tool: a minimal Node script that
// spawns one `git for-each-ref` over the same tags and prints them. Loose
// refs first, then again after `git gc` (packed refs). Runs are interleaved
// so that background load hits every command alike; medians are reported.
//
//   npx tsc -p tsconfig.json && node bench/tags.mjs [--runs N] [--tags N] [--keep]
//
// Target: each command at most 1.3x the floor. `cairn tags` reads what each
// tag object says from .git/cairn/tag-summaries.json, written by the first
// listing; the last row times that first listing (the file removed before
// each run), for reference.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'cairn.js');
const dist = path.join(root, 'dist', 'index.js');
if (!fs.existsSync(dist)) {
  process.stderr.write('dist/ is missing: run npx tsc -p tsconfig.json first\n');
  process.exit(1);
}
const { renderTagMessage } = await import(dist);

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const RUNS = option('--runs', 21);
const TAGS = option('--tags', 1000);
const WARMUP = 3;
const TARGET = 1.3;

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** The version of tag i: mixes majors, minors and patches so string order is wrong. */
const versionOf = (i) => `e${Math.floor(i / 50)}.${(i % 50) + 1}.${i % 3}`;

function buildRepo(dir) {
  run('git', ['init', '-q', '-b', 'main', dir]);
  run('git', ['config', 'gc.auto', '0'], { cwd: dir });
  const chunks = [];
  const t0 = 1_700_000_000;
  for (let i = 0; i < TAGS; i++) {
    const commitMsg = `run ${i}\n`;
    const file = `step ${i}\n`;
    chunks.push(`commit refs/heads/main\nmark :${i + 1}\ncommitter Bench <bench@cairn.invalid> ${t0 + i} +0000\n`);
    chunks.push(`data ${Buffer.byteLength(commitMsg)}\n${commitMsg}`);
    if (i > 0) chunks.push(`from :${i}\n`);
    chunks.push(`M 644 inline train.log\ndata ${Buffer.byteLength(file)}\n${file}\n`);
    const message = renderTagMessage({
      version: versionOf(i),
      run: `run-${String(i).padStart(4, '0')}`,
      params: { model: i % 2 ? 'bert-base' : 'roberta', lr: 10 ** -(1 + (i % 4)), batch: 32 },
      metrics: { f1: 0.5 + (i % 97) / 200, val_loss: 1 / (i + 2) },
      data: `sha256:${(i % 7).toString(16).repeat(64)}`,
      results: 'results/experiments.db#default',
      text: `sweep ${i}`,
    });
    chunks.push(`tag ${versionOf(i)}\nfrom :${i + 1}\ntagger Bench <bench@cairn.invalid> ${t0 + i} +0000\n`);
    chunks.push(`data ${Buffer.byteLength(message)}\n${message}\n`);
  }
  run('git', ['fast-import', '--quiet'], { cwd: dir, input: chunks.join('') });
  run('git', ['reset', '-q', '--hard', 'main'], { cwd: dir });
}

// The floor: one git for-each-ref spawned from Node, its output printed.
const FLOOR = `import { execFile } from 'node:child_process';
execFile('git', ['for-each-ref', '--format=%(refname:lstrip=2)%00%(contents)%00', 'refs/tags'],
  { cwd: process.argv[2], maxBuffer: 1 << 28 }, (err, stdout) => {
    if (err) throw err;
    process.stdout.write(stdout);
  });
`;

function time(cmd, argv) {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function measure(repo, floorScript) {
  const commands = [
    { name: 'floor: node + git for-each-ref', argv: [floorScript, repo] },
    { name: 'cairn tags --json', argv: [bin, '-C', repo, 'tags', '--json'] },
    { name: 'cairn next', argv: [bin, '-C', repo, 'next'] },
    {
      name: 'cairn tags --json, first listing (no target)',
      argv: [bin, '-C', repo, 'tags', '--json'],
      before: () => fs.rmSync(path.join(repo, '.git', 'cairn', 'tag-summaries.json'), { force: true }),
      untargeted: true,
    },
  ];
  const times = commands.map(() => []);
  for (let r = 0; r < WARMUP + RUNS; r++) {
    commands.forEach((c, i) => {
      c.before?.();
      const ms = time(process.execPath, c.argv);
      if (r >= WARMUP) times[i].push(ms);
    });
  }
  return commands.map((c, i) => ({ name: c.name, median: median(times[i]), min: Math.min(...times[i]), untargeted: c.untargeted }));
}

function check(repo) {
  const tags = JSON.parse(run(process.execPath, [bin, '-C', repo, 'tags', '--json'])).experiments;
  if (tags.length !== TAGS) throw new Error(`cairn tags listed ${tags.length} experiments, expected ${TAGS}`);
  const next = run(process.execPath, [bin, '-C', repo, 'next']).trim();
  return { first: tags[0].tag, last: tags[tags.length - 1].tag, next };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-tags-'));
try {
  const repo = path.join(tmp, 'repo');
  const floorScript = path.join(tmp, 'floor.mjs');
  fs.writeFileSync(floorScript, FLOOR);
  const built = process.hrtime.bigint();
  buildRepo(repo);
  const buildMs = Number(process.hrtime.bigint() - built) / 1e6;
  const looseRefs = fs.readdirSync(path.join(repo, '.git', 'refs', 'tags')).length;
  const sanity = check(repo);

  const results = [];
  results.push(['loose refs', measure(repo, floorScript)]);
  run('git', ['gc', '--quiet'], { cwd: repo });
  const packed = fs.readdirSync(path.join(repo, '.git', 'refs', 'tags')).length === 0;
  results.push(['after git gc', measure(repo, floorScript)]);

  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  process.stdout.write(
    [
      `cairn bench: ${TAGS} annotated experiment tags on ${TAGS} commits (built in ${(buildMs / 1000).toFixed(1)} s; ${looseRefs} loose tag refs, ${packed ? 'all packed' : 'not all packed'} after gc)`,
      `node ${process.version}, ${run('git', ['--version']).trim()}, ${os.cpus().length} CPUs, load average ${load}`,
      `${RUNS} interleaved runs per command (after ${WARMUP} warm-up runs); median wall time of the whole process`,
      `tags listed ${sanity.first} .. ${sanity.last}; cairn next says ${sanity.next}`,
      '',
    ].join('\n') + '\n',
  );
  const rows = [['refs', 'command', 'median ms', 'min ms', 'x floor', `target <= ${TARGET}x`]];
  let missed = 0;
  for (const [state, measured] of results) {
    const floor = measured[0].median;
    for (const m of measured) {
      const ratio = m.median / floor;
      const untargeted = m === measured[0] || m.untargeted;
      if (!untargeted && ratio > TARGET) missed++;
      rows.push([state, m.name, m.median.toFixed(1), m.min.toFixed(1), ratio.toFixed(2), untargeted ? '' : ratio <= TARGET ? 'ok' : 'MISSED']);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => '| ' + r.map((cell, c) => (c >= 2 && c <= 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join(' | ') + ' |';
  process.stdout.write([line(rows[0]), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.slice(1).map(line)].join('\n') + '\n');
  if (missed) process.stdout.write(`\n${missed} measurement(s) above the ${TARGET}x target\n`);
} finally {
  if (args.includes('--keep')) process.stdout.write(`kept ${tmp}\n`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}
