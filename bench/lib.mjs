// Shared bits of the benchmark scripts: timing commands, installing peers,
// printing the table. Benchmarks are plain Node scripts, not tests.
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CAIRN = path.join(ROOT, 'bin', 'cairn.js');

/** An environment with a git identity and no global git config. */
export function benchEnv(extra = {}) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-home-'));
  fs.writeFileSync(
    path.join(home, 'gitconfig'),
    '[user]\n\tname = bench\n\temail = bench@cairn.invalid\n[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[gc]\n\tauto = 0\n',
  );
  return {
    ...process.env,
    HOME: home,
    GIT_CONFIG_GLOBAL: path.join(home, 'gitconfig'),
    GIT_CONFIG_NOSYSTEM: '1',
    CAIRN_NO_PROGRESS: '1',
    ...extra,
  };
}

/** Install Debian packages that provide `commands`, when missing (bench only). */
export function ensureTools(packages) {
  const missing = Object.entries(packages).filter(([cmd]) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0);
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
  console.error(`installing ${pkgs.join(' ')} with apt-get ...`);
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit' });
}

export function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Run a command; throw with its output if it fails. */
export function sh(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * Time a command `runs` times. `prepare()` runs before each timed run (not
 * timed) and returns the options (cwd, env) for it; then `sync` writes out
 * the dirty pages that earlier runs (and the preparation) left, so that no
 * run pays for another's writes. Returns the median seconds.
 */
export function timeIt(label, runs, prepare, cmd, args) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const opts = prepare ? prepare(i) : {};
    spawnSync('sync');
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, typeof args === 'function' ? args(i) : args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
    const t = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`${label}: ${cmd} exited ${r.status}: ${r.stderr}`);
    times.push(t);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.error(`  ${label}: ${times.map((t) => t.toFixed(3)).join(' ')} s (median ${median.toFixed(3)})`);
  return median;
}

/** timeIt, but a peer that fails (a flaky test server, a missing tool) gives null instead of ending the run. */
export function timeMaybe(label, runs, prepare, cmd, args) {
  try {
    return timeIt(label, runs, prepare, cmd, args);
  } catch (err) {
    console.error(`  ${label}: failed, left out (${String(err.message).split('\n')[0].slice(0, 200)})`);
    return null;
  }
}

/** Print rows of {workload, cairn, peerName, peer, target} as a table with ratios (rows whose peer failed are left out). */
export function printTable(title, rows) {
  const lines = [`## ${title}`, '', '| workload | cairn (s) | peer | peer (s) | ratio | target | met |', '|---|---:|---|---:|---:|---:|:---:|'];
  for (const r of rows.filter((x) => x.peer !== null && x.cairn !== null)) {
    const ratio = r.cairn / r.peer;
    lines.push(
      `| ${r.workload} | ${r.cairn.toFixed(3)} | ${r.peerName} | ${r.peer.toFixed(3)} | ${ratio.toFixed(2)}x | ${r.target ? `<= ${r.target}x` : '-'} | ${r.target ? (ratio <= r.target ? 'yes' : 'no') : '-'} |`,
    );
  }
  console.log(lines.join('\n') + '\n');
}

/** A fresh work folder under .bench/ (ignored by git). */
export function workDir(name) {
  const dir = path.join(ROOT, '.bench', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Write `count` files of `size` random bytes under `dir` (100 per subfolder). */
export function makeSmallFiles(dir, count, size) {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < count; i++) {
    const sub = path.join(dir, `d${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) fs.mkdirSync(sub, { recursive: true });
    for (let j = 0; j < size; j += 4) buf.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, j);
    fs.writeFileSync(path.join(sub, `f${i}.bin`), buf);
  }
}

/** Write one file of `bytes` random-looking bytes, quickly. */
export function makeBigFile(file, bytes) {
  execFileSync('sh', ['-c', `head -c ${bytes} /dev/urandom > '${file}'`]);
}

export function gitInit(dir, env) {
  fs.mkdirSync(dir, { recursive: true });
  sh('git', ['init', '-q', '-b', 'main'], { cwd: dir, env });
}

/**
 * A repository with `count` annotated experiment tags on `count` commits, made
 * in one `git fast-import` (messages rendered by `renderTagMessage` of a built
 * cairn), then `cairn init` with `cairnBin`.
 */
export function makeTagRepo(dir, count, env, renderTagMessage, cairnBin = CAIRN) {
  gitInit(dir, env);
  const chunks = [];
  for (let i = 0; i < count; i++) {
    const msg = `run ${i}\n`;
    chunks.push(`commit refs/heads/main\nmark :${i + 1}\ncommitter Bench <b@c.invalid> ${1_700_000_000 + i} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}`);
    if (i > 0) chunks.push(`from :${i}\n`);
    chunks.push('\n');
    const version = `e${Math.floor(i / 50)}.${(i % 50) + 1}.0`;
    const message = renderTagMessage({
      version,
      run: `run-${i}`,
      metrics: { f1: (i % 97) / 100, loss: 1 - (i % 89) / 100 },
      params: { lr: 10 ** -(1 + (i % 4)), model: 'bert-base' },
      data: `sha256:${String(i).padStart(64, '0')}`,
      text: `sweep ${i}`,
    });
    chunks.push(`tag ${version}\nfrom :${i + 1}\ntagger Bench <b@c.invalid> ${1_700_000_000 + i} +0000\ndata ${Buffer.byteLength(message)}\n${message}\n`);
  }
  sh('git', ['fast-import', '--quiet'], { cwd: dir, env, input: chunks.join(''), maxBuffer: 1 << 30 });
  sh('git', ['checkout', '-q', 'main'], { cwd: dir, env });
  sh(process.execPath, [cairnBin, 'init'], { cwd: dir, env });
}

/**
 * Run a command once under /usr/bin/time: wall seconds (timed here) and the
 * child's peak memory (max RSS, MB). Throws when it fails.
 */
export function measure(cmd, args, opts = {}) {
  const rssFile = path.join(os.tmpdir(), `cairn-bench-rss-${process.pid}`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 28, ...opts });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(-2000)}`);
  const rssMB = Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024;
  fs.rmSync(rssFile, { force: true });
  return { seconds, rssMB };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The load average now (the first number of `uptime`), printed with every table: the machine is shared. */
export function loadAverage() {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
}
