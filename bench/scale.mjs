#!/usr/bin/env node
// How cairn's cost grows: each workload at three sizes, with time (median of
// --runs) and peak memory (max RSS of the cairn process, from /usr/bin/time).
//
//   status     N files unchanged (the stat cache warm)         1k / 10k / 100k files
//   add        N files of 4 KiB into a fresh repo               1k / 10k / 100k files
//   checkout   N files, removed then checked out (hardlink; --link copy for copies)
//   tags       tags --json with N experiment tags              100 / 1,000 / 10,000 tags
//   explore    explore list --json, the same repos
//   merge      2 x N rows, half shared, SQLite and parquet      10k / 1M / 10M rows
//   gc         gc --all-commits (dry run): N objects in 1,000 commits   10k / 100k objects
//
// For each workload: cost per item at each size, and the ratio of the per-item
// cost at the largest size to that at the middle one (linear or better: at
// most 1.2x). Memory bounds checked: merge of 10M rows < 1 GiB RSS, status of
// 100k files < 300 MB.
//
//   node bench/scale.mjs [--quick | --tiny] [--only status,add,checkout,tags,explore,merge,gc] [--runs N] [--link copy]
//
// --quick runs smaller sizes (1k/3k/9k files, 100/1,000/3,000 tags,
// 10k/100k/1M rows, 5k/20k objects in 200 commits): its ratios say the same
// thing about growth, in minutes instead of an hour.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { CAIRN, ROOT, benchEnv, gitInit, loadAverage, makeSmallFiles, makeTagRepo, measure, median, sh, workDir } from './lib.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const quick = args.includes('--quick');
const only = flag('--only', null)?.split(',');
const RUNS = Number(flag('--runs', 3));
const LINK = flag('--link', 'hardlink');
const SIZES = args.includes('--tiny') // a smoke test of the script itself
  ? { files: [100, 200, 400], tags: [20, 40, 80], rows: [1000, 2000, 4000], objects: [400, 800], commits: 20 }
  : quick
    ? { files: [1000, 3000, 9000], tags: [100, 1000, 3000], rows: [10_000, 100_000, 1_000_000], objects: [5000, 20_000], commits: 200 }
    : { files: [1000, 10_000, 100_000], tags: [100, 1000, 10_000], rows: [10_000, 1_000_000, 10_000_000], objects: [10_000, 100_000], commits: 1000 };
const LIMITS_MB = { status: { at: SIZES.files[2], mb: 300 }, 'merge sqlite': { at: 10_000_000, mb: 1024 }, 'merge parquet': { at: 10_000_000, mb: 1024 } };

const node = process.execPath;
const env = benchEnv();
const work = workDir('scale');
const at = (...p) => path.join(work, ...p);
const dist = (m) => import(pathToFileURL(path.join(ROOT, 'dist', m)).href);
const { renderTagMessage, renderManifest, renderPointer, Cache } = await dist('index.js');
const want = (name) => !only || only.includes(name);

/** Time `cairn args` RUNS times (prepare() untimed before each; it returns the cwd): median seconds, max of the peak RSS. */
function timeCairn(prepare, cairnArgs, extraEnv = {}) {
  const seconds = [];
  let rssMB = 0;
  for (let i = 0; i < RUNS; i++) {
    const cwd = prepare();
    sh('sync', []);
    const r = measure(node, [CAIRN, ...cairnArgs], { cwd, env: { ...env, ...extraEnv } });
    seconds.push(r.seconds);
    rssMB = Math.max(rssMB, r.rssMB);
  }
  console.error(`    ${cairnArgs.join(' ')}: ${seconds.map((s) => s.toFixed(3)).join(' ')} s, ${rssMB.toFixed(0)} MB`);
  return { seconds: median(seconds), rssMB };
}

const results = []; // { workload, unit, points: [{ n, seconds, rssMB }] }
function record(workload, unit, points) {
  results.push({ workload, unit, points });
}

// ---------- files: status, add, checkout ----------
if (want('status') || want('add') || want('checkout')) {
  const points = { status: [], add: [], checkout: [] };
  for (const n of SIZES.files) {
    console.error(`files: ${n}`);
    const src = at(`files-${n}`);
    makeSmallFiles(src, n, 4096);
    const repo = at(`repo-${n}`);
    const fresh = () => {
      fs.rmSync(repo, { recursive: true, force: true });
      gitInit(repo, env);
      sh(node, [CAIRN, 'init'], { cwd: repo, env });
      sh('cp', ['-al', src, path.join(repo, 'data')]);
      return repo;
    };
    if (want('add')) points.add.push({ n, ...timeCairn(fresh, ['add', 'data']) });
    fresh();
    sh(node, [CAIRN, 'add', 'data'], { cwd: repo, env });
    sh('git', ['add', '-A'], { cwd: repo, env });
    sh('git', ['commit', '-q', '-m', 'data'], { cwd: repo, env });
    if (want('status')) {
      for (let i = 0; i < 2; i++) sh(node, [CAIRN, 'status'], { cwd: repo, env }); // the stat cache filled
      points.status.push({ n, ...timeCairn(() => repo, ['status']) });
    }
    if (want('checkout')) {
      const drop = () => (fs.rmSync(path.join(repo, 'data'), { recursive: true, force: true }), repo);
      points.checkout.push({ n, ...timeCairn(drop, ['checkout'], { CAIRN_CACHE_LINK: LINK }) });
    }
    fs.rmSync(repo, { recursive: true, force: true });
    fs.rmSync(src, { recursive: true, force: true });
  }
  if (want('status')) record('status, unchanged', 'file', points.status);
  if (want('add')) record('add, 4 KiB files', 'file', points.add);
  if (want('checkout')) record(`checkout (${LINK})`, 'file', points.checkout);
}

// ---------- tags: tags --json, explore list --json ----------
if (want('tags') || want('explore')) {
  const points = { tags: [], explore: [] };
  for (const n of SIZES.tags) {
    console.error(`tags: ${n}`);
    const repo = at(`tags-${n}`);
    makeTagRepo(repo, n, env, renderTagMessage);
    sh(node, [CAIRN, 'tags', '--json'], { cwd: repo, env }); // the tag summaries written once
    if (want('tags')) points.tags.push({ n, ...timeCairn(() => repo, ['tags', '--json']) });
    if (want('explore')) points.explore.push({ n, ...timeCairn(() => repo, ['explore', 'list', '--json']) });
    fs.rmSync(repo, { recursive: true, force: true });
  }
  if (want('tags')) record('tags --json', 'tag', points.tags);
  if (want('explore')) record('explore list --json', 'tag', points.explore);
}

// ---------- merge: SQLite and parquet ----------
if (want('merge')) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const points = { sqlite: [], parquet: [] };
  for (const n of SIZES.rows) {
    console.error(`merge: 2 x ${n} rows`);
    const dir = at(`merge-${n}`);
    fs.mkdirSync(dir, { recursive: true });
    const sqlite = (file, from, to) => {
      const db = new Database(path.join(dir, file));
      db.pragma('journal_mode = OFF');
      db.pragma('synchronous = OFF');
      db.exec('CREATE TABLE runs (track_id TEXT, timestamp TEXT, model TEXT, lr REAL, acc REAL)');
      db.prepare(
        `WITH RECURSIVE c(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM c WHERE i + 1 < ?)
         INSERT INTO runs SELECT 'run-' || (i % 1000), printf('2024-01-01 00:00:00.%08d', i), 'm' || (i % 7), 1e-3 * (i % 10), (i % 997) / 997.0 FROM c`,
      ).run(from, to);
      db.close();
    };
    sqlite('target.db', 0, n);
    sqlite('source.db', n / 2, n * 1.5);
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    const rows = (from, to) =>
      `SELECT 'run-' || (i % 1000) AS track_id, '2024-01-01 00:00:00.' || lpad(i::VARCHAR, 8, '0') AS timestamp, 'm' || (i % 7) AS model, 1e-3 * (i % 10) AS lr, (i % 997) / 997 AS acc FROM range(${from}, ${to}) t(i)`;
    await conn.run(`COPY (${rows(0, n)}) TO '${path.join(dir, 'target.parquet')}' (FORMAT parquet)`);
    await conn.run(`COPY (${rows(n / 2, n * 1.5)}) TO '${path.join(dir, 'source.parquet')}' (FORMAT parquet)`);
    conn.closeSync();
    instance.closeSync();
    for (const [kind, ext] of [
      ['sqlite', 'db'],
      ['parquet', 'parquet'],
    ]) {
      const prepare = () => {
        fs.rmSync(path.join(dir, `out.${ext}`), { force: true });
        fs.copyFileSync(path.join(dir, `target.${ext}`), path.join(dir, `run.${ext}`));
        return dir;
      };
      points[kind].push({ n, ...timeCairn(prepare, ['merge', `run.${ext}`, `source.${ext}`]) });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  record('merge sqlite', 'row', points.sqlite);
  record('merge parquet', 'row', points.parquet);
}

// ---------- gc: N objects over the history ----------
if (want('gc')) {
  const points = { all: [], tips: [] };
  for (const n of SIZES.objects) {
    console.error(`gc: ${n} objects in ${SIZES.commits} commits`);
    const repo = at(`gc-${n}`);
    gitInit(repo, env);
    sh(node, [CAIRN, 'init'], { cwd: repo, env });
    fs.writeFileSync(path.join(repo, '.gitignore'), '/data\n');
    sh('git', ['add', '-A'], { cwd: repo, env });
    sh('git', ['commit', '-q', '-m', 'init'], { cwd: repo, env });
    // Each commit records a folder `data` of n / commits files of its own: n objects in all, and a manifest per commit.
    const cache = new Cache(path.join(repo, '.git', 'cairn', 'cache'));
    const batch = cache.batch();
    const perCommit = Math.round(n / SIZES.commits);
    const chunks = [];
    let k = 0;
    for (let c = 0; c < SIZES.commits; c++) {
      const entries = [];
      for (let j = 0; j < perCommit; j++, k++) {
        const { hash, size } = batch.add(Buffer.from(`object ${k}\n`));
        entries.push({ path: `f${j}.txt`, hash, size, mode: 0o644 });
      }
      const manifest = batch.add(Buffer.from(renderManifest(entries)));
      const pointer = renderPointer({
        cairn: 1,
        kind: 'dir',
        path: 'data',
        hash: manifest.hash,
        files: entries.length,
        size: entries.reduce((s, e) => s + e.size, 0),
      });
      const msg = `run ${c}\n`;
      chunks.push(`commit refs/heads/main\ncommitter Bench <b@c.invalid> ${1_700_000_000 + c} +0000\ndata ${msg.length}\n${msg}`);
      if (c === 0) chunks.push('from refs/heads/main^0\n');
      chunks.push(`M 100644 inline data.cairn\ndata ${Buffer.byteLength(pointer)}\n${pointer}\n`);
    }
    batch.commit();
    sh('git', ['fast-import', '--quiet', '--force'], { cwd: repo, env, input: chunks.join(''), maxBuffer: 1 << 30 });
    sh('git', ['reset', '-q', '--hard'], { cwd: repo, env });
    points.all.push({ n, ...timeCairn(() => repo, ['gc', '--all-commits']) });
    points.tips.push({ n, ...timeCairn(() => repo, ['gc']) });
    fs.rmSync(repo, { recursive: true, force: true });
  }
  record(`gc --all-commits (dry run), ${SIZES.commits} commits`, 'object', points.all);
  record(`gc (dry run), ${SIZES.commits} commits`, 'object', points.tips);
}

// ---------- the table ----------
const fmtN = (n) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));
const lines = [
  `## how cost grows (${RUNS} run(s) per size, median; ${quick ? 'quick sizes' : args.includes('--tiny') ? 'tiny sizes' : 'full sizes'}; load average ${loadAverage()} at the end)`,
  '',
  '| workload | size | time (s) | per item (µs) | peak RSS (MB) | per item, largest / middle | linear (<= 1.2x) | memory bound |',
  '|---|---:|---:|---:|---:|---:|:---:|---|',
];
for (const { workload, unit, points } of results) {
  const per = points.map((p) => (p.seconds / p.n) * 1e6);
  const ratio = points.length >= 2 ? per[per.length - 1] / per[per.length - 2] : null;
  points.forEach((p, i) => {
    const last = i === points.length - 1;
    const limit = LIMITS_MB[workload.split(',')[0]];
    const bound = limit && p.n === limit.at ? `< ${limit.mb} MB: ${p.rssMB < limit.mb ? 'yes' : 'NO'}` : '';
    lines.push(
      `| ${i === 0 ? workload : ''} | ${fmtN(p.n)} ${unit}s | ${p.seconds.toFixed(3)} | ${per[i].toFixed(1)} | ${p.rssMB.toFixed(0)} | ${last && ratio !== null ? `${ratio.toFixed(2)}x` : ''} | ${last && ratio !== null ? (ratio <= 1.2 ? 'yes' : 'NO') : ''} | ${bound} |`,
    );
  });
}
console.log(lines.join('\n') + '\n');
fs.rmSync(work, { recursive: true, force: true });
