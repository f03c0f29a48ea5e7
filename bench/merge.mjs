#!/usr/bin/env node
// cairn merge against hand-written peers, side by side, on the same data:
//
//   SQLite: two databases of N rows (default 1,000,000), half the ids shared,
//           with the new ids after the old ones ("ordered") or the source in
//           random order ("random"). Peer: the sqlite3 CLI with ATTACH +
//           INSERT ... WHERE NOT EXISTS on an indexed id (default page cache,
//           and with the same 256 MiB page cache cairn uses).
//   parquet: the same rows as parquet files. Peer: one DuckDB
//           COPY (... UNION ALL BY NAME ...) run through @duckdb/node-api.
//
// Every run starts from a fresh copy of the target; contenders take turns
// within each round; the median of --runs rounds is reported, with peak
// memory (max RSS from /usr/bin/time -v).
//
//   node bench/merge.mjs [--rows N] [--runs R] [--keep]
//
// Needs the sqlite3 CLI (apt-get install -y sqlite3) and a built dist/
// (npx tsc -p tsconfig.json).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DuckDBInstance } from '@duckdb/node-api';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROWS = opt('--rows', 1_000_000);
const RUNS = opt('--runs', 3);
const KEEP = args.includes('--keep');
const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin', 'cairn.js');
const TARGET_SQLITE = 1.3;
const TARGET_PARQUET = 1.5;
const MEMORY_LIMIT_MB = 500;

function need(cmd, hint) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    console.error(`bench: ${cmd} is not installed (${hint})`);
    process.exit(2);
  }
}
need('sqlite3', 'apt-get install -y sqlite3');
need('/usr/bin/time', 'apt-get install -y time');
if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
  console.error('bench: build first: npx tsc -p tsconfig.json');
  process.exit(2);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-merge-'));
const at = (name) => path.join(work, name);

// ---- data -----------------------------------------------------------------

/** A deterministic shuffle (LCG), so every run of the bench sees the same order. */
function shuffled(ids) {
  let s = 42;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  return ids;
}

function makeSqlite(file, ids) {
  const db = new Database(file);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.exec('CREATE TABLE "default" (id INTEGER, track_id TEXT, timestamp TEXT, model TEXT, lr REAL, acc REAL)');
  const insert = db.prepare('INSERT INTO "default" VALUES (?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const id of ids)
      insert.run(id, `run-${id % 1000}`, `2024-01-01 00:00:00.${String(id).padStart(7, '0')}`, `m${id % 7}`, 1e-3 * (id % 10), (id % 997) / 997);
  })();
  db.exec('CREATE INDEX "default_id" ON "default" (id)');
  db.close();
}

async function makeParquets() {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const rows = (from, to) =>
    `SELECT i AS id, 'run-' || (i % 1000) AS track_id, '2024-01-01 00:00:00.' || lpad(i::VARCHAR, 7, '0') AS timestamp, ` +
    `'m' || (i % 7) AS model, 1e-3 * (i % 10) AS lr, (i % 997) / 997 AS acc FROM range(${from}, ${to}) t(i)`;
  const q = (f) => `'${f.replace(/'/g, "''")}'`;
  await conn.run(`COPY (${rows(0, ROWS)}) TO ${q(at('target.parquet'))} (FORMAT parquet)`);
  await conn.run(`COPY (${rows(ROWS / 2, ROWS * 1.5)}) TO ${q(at('source-ordered.parquet'))} (FORMAT parquet)`);
  await conn.run(`COPY (SELECT * FROM (${rows(ROWS / 2, ROWS * 1.5)}) ORDER BY hash(id)) TO ${q(at('source-random.parquet'))} (FORMAT parquet)`);
  conn.closeSync();
  instance.closeSync();
}

process.stderr.write(`bench: generating ${ROWS.toLocaleString('en')} rows per file in ${work}\n`);
const oldIds = Array.from({ length: ROWS }, (_, i) => i);
const newIds = Array.from({ length: ROWS }, (_, i) => i + ROWS / 2);
makeSqlite(at('target.db'), oldIds);
makeSqlite(at('source-ordered.db'), newIds);
makeSqlite(at('source-random.db'), shuffled(newIds.slice()));
await makeParquets();

// ---- running ----------------------------------------------------------------

/** Run a command under /usr/bin/time -v: wall seconds and max RSS in MB. */
function measure(cmd, cmdArgs, cwd = work) {
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...cmdArgs], { cwd, encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) {
    console.error(r.stdout, r.stderr);
    throw new Error(`${cmd} ${cmdArgs.join(' ')} exited ${r.status}`);
  }
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024;
  return { seconds, rss, stdout: r.stdout };
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** One run on a fresh copy of the target. */
function once(targetName, run) {
  const copy = at(`run-${targetName}`);
  fs.copyFileSync(at(targetName), copy);
  spawnSync('sync');
  try {
    return run(copy);
  } finally {
    fs.rmSync(copy, { force: true });
    fs.rmSync(at('out.parquet'), { force: true });
  }
}

/**
 * RUNS rounds; each round runs every contender once, in turn, so that load
 * from other processes falls on all of them alike. Medians are reported.
 */
function compare(targetName, contenders) {
  const seen = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const [name, run] of Object.entries(contenders)) seen[name].push(once(targetName, run));
  }
  const out = {};
  for (const [name, runs] of Object.entries(seen)) {
    process.stderr.write(`  ${name}: ${runs.map((r) => r.seconds.toFixed(2)).join(' ')} s\n`);
    out[name] = { seconds: median(runs.map((r) => r.seconds)), rss: Math.max(...runs.map((r) => r.rss)), stdout: runs.at(-1).stdout };
  }
  return out;
}

const PEER_SQL = (source) =>
  `ATTACH '${source}' AS s; INSERT INTO main."default" SELECT * FROM s."default" AS x WHERE NOT EXISTS (SELECT 1 FROM main."default" AS m WHERE m.id = x.id); SELECT changes();`;

const PEER_PARQUET = `
import { DuckDBInstance } from '@duckdb/node-api';
const [target, source, out] = process.argv.slice(1);
const q = (f) => "'" + f.replace(/'/g, "''") + "'";
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
await conn.run(\`COPY (SELECT * FROM read_parquet(\${q(target)}) UNION ALL BY NAME SELECT * FROM read_parquet(\${q(source)}) AS s
  WHERE NOT EXISTS (SELECT 1 FROM read_parquet(\${q(target)}) AS m WHERE m.id = s.id)) TO \${q(out)} (FORMAT parquet)\`);
conn.closeSync();
instance.closeSync();
`;

const results = [];
for (const order of ['ordered', 'random']) {
  process.stderr.write(`bench: SQLite, ${order}\n`);
  const source = at(`source-${order}.db`);
  const { peer, tuned, ours } = compare('target.db', {
    peer: (t) => measure('sqlite3', [t, PEER_SQL(source)]),
    tuned: (t) => measure('sqlite3', [t, `PRAGMA cache_size = -262144; ${PEER_SQL(source)}`]),
    ours: (t) => measure('node', [BIN, 'merge', t, source, '--id', 'id', '--json']),
  });
  const summary = JSON.parse(ours.stdout).tables[0];
  if (summary.added !== ROWS / 2 || summary.duplicates !== ROWS / 2) throw new Error(`unexpected merge result: ${JSON.stringify(summary)}`);
  if (Number(peer.stdout.trim()) !== ROWS / 2) throw new Error(`unexpected peer result: ${peer.stdout}`);
  results.push({ data: `SQLite ${order}`, peer: 'sqlite3 CLI (default cache)', peerSeconds: peer.seconds, peerRss: peer.rss, ours, target: TARGET_SQLITE });
  results.push({ data: `SQLite ${order}`, peer: 'sqlite3 CLI (256 MiB cache)', peerSeconds: tuned.seconds, peerRss: tuned.rss, ours, target: TARGET_SQLITE });
}
for (const order of ['ordered', 'random']) {
  process.stderr.write(`bench: parquet, ${order}\n`);
  const source = at(`source-${order}.parquet`);
  const { peer, ours } = compare('target.parquet', {
    peer: (t) => measure('node', ['--input-type=module', '-e', PEER_PARQUET, t, source, at('out.parquet')], ROOT),
    ours: (t) => measure('node', [BIN, 'merge', t, source, '--id', 'id', '--json']),
  });
  const summary = JSON.parse(ours.stdout).tables[0];
  if (summary.added !== ROWS / 2 || summary.duplicates !== ROWS / 2) throw new Error(`unexpected merge result: ${JSON.stringify(summary)}`);
  results.push({ data: `parquet ${order}`, peer: 'DuckDB COPY UNION ALL BY NAME', peerSeconds: peer.seconds, peerRss: peer.rss, ours, target: TARGET_PARQUET });
}

// ---- report -------------------------------------------------------------------

const header = ['data (rows per file)', 'peer', 'peer s', 'peer MB', 'cairn s', 'cairn MB', 'ratio', 'target', 'ok'];
const rows = results.map((r) => {
  const ratio = r.ours.seconds / r.peerSeconds;
  const ok = ratio <= r.target && r.ours.rss < MEMORY_LIMIT_MB;
  return [
    `${r.data} (${ROWS.toLocaleString('en')})`,
    r.peer,
    r.peerSeconds.toFixed(2),
    r.peerRss.toFixed(0),
    r.ours.seconds.toFixed(2),
    r.ours.rss.toFixed(0),
    `${ratio.toFixed(2)}x`,
    `<= ${r.target}x, < ${MEMORY_LIMIT_MB} MB`,
    ok ? 'yes' : 'NO',
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
console.log(line(header));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const r of rows) console.log(line(r));
console.log(
  `\nmedian of ${RUNS} runs each; Node ${process.version}, ${os.cpus().length} CPUs, sqlite3 ${spawnSync('sqlite3', ['--version'], { encoding: 'utf8' }).stdout.split(' ')[0]}`,
);

if (!KEEP) fs.rmSync(work, { recursive: true, force: true });
else console.log(`data kept in ${work}`);
