/**
 * A small experiment history for the ui tests, made with the CLI: three
 * versions on main with results rows in SQLite, a worktree variant tagged
 * exp-aug-v1, two model candidates with one promoted, and a last tag whose
 * message and params carry HTML (the XSS cases).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, cairnOk } from '../helpers/cli.js';
import { gitRepo, repoAt, type TestRepo } from '../helpers/repo.js';

export const XSS_MESSAGE = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">';
export const XSS_MODEL = '<img src=x onerror="window.__xss = 3">';

export interface UiFixture {
  repo: TestRepo;
  variant: string;
  /** The rows written, by version. */
  rows: Record<string, { run: string; model: string; lr: number; f1: number; loss: number }[]>;
}

function addRows(file: string, version: string, rows: { run: string; model: string; lr: number; f1: number; loss: number }[]): void {
  const db = new Database(file);
  db.exec('CREATE TABLE IF NOT EXISTS "default" (track_id TEXT, timestamp TEXT, version TEXT, model TEXT, lr REAL, f1 REAL, loss REAL)');
  const insert = db.prepare('INSERT INTO "default" VALUES (?, ?, ?, ?, ?, ?, ?)');
  rows.forEach((r, i) => insert.run(r.run, `2026-01-01T00:00:0${i}Z`, version, r.model, r.lr, r.f1, r.loss));
  db.close();
}

export async function uiFixture(): Promise<UiFixture> {
  const repo = gitRepo({ 'README.md': '# ui fixture\n', 'train.py': 'print("train")\n' });
  const cwd = repo.dir;
  await cairnOk(['init'], { cwd });
  await cairnOk(['config', 'set', 'results.db', 'results.db'], { cwd });
  await cairnOk(['config', 'set', 'metrics.primary', 'f1'], { cwd });
  const rows: UiFixture['rows'] = {
    'e0.1.0': [
      { run: 'r1', model: 'mlp', lr: 0.1, f1: 0.61, loss: 0.39 },
      { run: 'r2', model: 'mlp', lr: 0.01, f1: 0.7, loss: 0.3 },
    ],
    'e0.2.0': [{ run: 'r3', model: 'cnn', lr: 0.01, f1: 0.82, loss: 0.18 }],
    'e0.3.0': [
      { run: 'r4', model: 'cnn', lr: 0.003, f1: 0.79, loss: 0.21 },
      { run: 'r5', model: 'cnn', lr: 0.001, f1: 0.85, loss: 0.15 },
    ],
    'exp-aug-v1': [{ run: 'r6', model: 'cnn-aug', lr: 0.003, f1: 0.88, loss: 0.12 }],
    'e0.4.0': [{ run: 'r7', model: XSS_MODEL, lr: 0.002, f1: 0.83, loss: 0.17 }],
  };
  const db = path.join(cwd, 'results.db');
  repo.write('data/train.csv', 'a,b\n1,2\n');
  for (const version of ['e0.1.0', 'e0.2.0']) {
    addRows(db, version, rows[version]!);
    if (version === 'e0.2.0') repo.write('data/train.csv', 'a,b\n1,2\n3,4\n');
    await cairnOk(['add', 'results.db', 'data'], { cwd });
    repo.commit(`run ${version}`);
    await cairnOk(['tag', version, '-m', version === 'e0.1.0' ? 'baseline' : 'bigger data'], { cwd });
  }
  // The variant branches from e0.2.0.
  await cairnOk(['worktree', 'new', 'aug'], { cwd });
  const variant = path.join(path.dirname(cwd), 'exp-aug');
  addRows(path.join(variant, 'results.db'), 'exp-aug-v1', rows['exp-aug-v1']!);
  await cairnOk(['add', 'results.db'], { cwd: variant });
  repoAt(variant).commit('augmented run');
  await cairnOk(['tag', 'exp-aug-v1', '-m', 'augmentation'], { cwd: variant });
  await cairnOk(['merge', 'results.db', 'exp/aug:results.db'], { cwd });
  addRows(db, 'e0.3.0', rows['e0.3.0']!);
  repo.write('models/out/r5.bin', 'model r5\n');
  repo.write('models/out/r3.bin', 'model r3 (older)\n');
  fs.appendFileSync(path.join(cwd, '.gitignore'), 'models/out/\n');
  await cairnOk(['model', 'add', 'models/out/r5.bin', '--run', 'r5'], { cwd });
  await cairnOk(['model', 'add', 'models/out/r3.bin', '--run', 'r3'], { cwd });
  await cairnOk(['model', 'promote', '--run', 'r5'], { cwd });
  await cairnOk(['add', 'results.db'], { cwd });
  repo.commit('run e0.3.0, promote r5');
  await cairnOk(['tag', 'e0.3.0', '-m', 'sweep'], { cwd });
  addRows(db, 'e0.4.0', rows['e0.4.0']!);
  await cairnOk(['add', 'results.db'], { cwd });
  repo.commit('hostile run');
  await cairnOk(['tag', 'e0.4.0', '-m', XSS_MESSAGE], { cwd });
  return { repo, variant, rows };
}

/** Start `cairn ui --json` in `cwd`; resolves with the process and its URL. */
export async function startUi(
  cwd: string,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
): Promise<{ child: ChildProcess; url: string; port: number }> {
  const child = spawn(process.execPath, [BIN, 'ui', '--json', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const end = out.indexOf('\n}');
      if (end !== -1) {
        const doc = JSON.parse(out.slice(0, end + 2)) as { url: string; port: number };
        resolve({ child, url: doc.url, port: doc.port });
      }
    });
    child.on('exit', (code) => reject(new Error(`cairn ui exited ${code}: ${out}${err}`)));
  });
}
