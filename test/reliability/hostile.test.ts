import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, tempDir, type TestRepo } from '../helpers/repo.js';
import { sqliteResults, type ResultRow } from '../helpers/results.js';
import { hashBytes } from '../../src/store/hash.js';

interface HostileCase {
  name: string;
  setup: {
    files?: Record<string, string>;
    sqlite?: Record<string, Record<string, ResultRow[]>>;
    objects?: string[];
    commands?: string[][];
    remove?: string[];
    symlinks?: Record<string, string>;
  };
  run: string[];
  exit: number;
  message: string;
  then?: string[];
  thenContains?: string;
  thenNotContains?: string;
}

const DIR = path.resolve(import.meta.dirname, '../../fixtures/hostile');
const corpus: [string, HostileCase][] = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .flatMap((f) => (JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')) as HostileCase[]).map((c): [string, HostileCase] => [`${f.replace('.json', '')}: ${c.name}`, c]));

/** Every file of the work tree (outside .git, plus the cache objects) and of the victim folder. */
function snapshot(roots: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name === '.git') {
          const objects = path.join(p, 'cairn', 'cache', 'objects');
          if (fs.existsSync(objects)) visit(objects);
          continue;
        }
        visit(p);
      } else if (e.isSymbolicLink()) out.set(p, `-> ${fs.readlinkSync(p)}`);
      else out.set(p, hashBytes(fs.readFileSync(p)));
    }
  };
  roots.forEach(visit);
  return out;
}

function fill(text: string, outside: string, objects: string[] = []): string {
  return text
    .replace(/\{\{OBJECT:(\d+)\}\}/g, (_m, i: string) => hashBytes(objects[Number(i)] ?? ''))
    .replaceAll('{{OUTSIDE_DIR}}', path.dirname(outside))
    .replaceAll('{{OUTSIDE}}', outside);
}

async function prepare(c: HostileCase, outside: string): Promise<TestRepo> {
  const repo = gitRepo();
  await cairnOk(['init'], { cwd: repo.dir });
  repo.commit('init');
  for (const [rel, text] of Object.entries(c.setup.files ?? {})) repo.write(rel, fill(text, outside, c.setup.objects));
  for (const [file, tables] of Object.entries(c.setup.sqlite ?? {})) {
    for (const [table, rows] of Object.entries(tables)) sqliteResults(path.join(repo.dir, file), table, rows);
  }
  for (const text of c.setup.objects ?? []) {
    const hex = hashBytes(text).slice(7);
    const file = path.join(repo.dir, '.git/cairn/cache/objects', hex.slice(0, 2), hex.slice(2));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: 0o444 });
  }
  for (const args of c.setup.commands ?? []) await cairnOk(args, { cwd: repo.dir });
  for (const rel of c.setup.remove ?? []) fs.rmSync(path.join(repo.dir, rel), { recursive: true, force: true });
  for (const [rel, target] of Object.entries(c.setup.symlinks ?? {})) {
    fs.mkdirSync(path.dirname(path.join(repo.dir, rel)), { recursive: true });
    fs.symlinkSync(fill(target, outside), path.join(repo.dir, rel));
  }
  return repo;
}

describe(`hostile input corpus (${corpus.length} cases in fixtures/hostile)`, () => {
  it('has at least 40 cases', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
  });

  it.each(corpus)('%s', async (_label, c) => {
    const victimDir = tempDir('cairn-victim-');
    const outside = path.join(victimDir, 'victim.txt');
    fs.writeFileSync(outside, 'victim: must never change');
    const repo = await prepare(c, outside);
    const before = snapshot([repo.dir, victimDir]);
    const r = await cairn(c.run.map((a) => fill(a, outside)), { cwd: repo.dir });
    const output = r.stdout + r.stderr;
    expect(r.exitCode, output).toBe(c.exit);
    expect(output).toContain(c.message);
    if (c.exit !== 0) expect(r.stderr).toMatch(/hint: |error: /);
    expect(snapshot([repo.dir, victimDir])).toEqual(before);
    expect(fs.readFileSync(outside, 'utf8')).toBe('victim: must never change');
    if (c.then) {
      const t = await cairnOk(c.then, { cwd: repo.dir });
      if (c.thenContains) expect(t.stdout).toContain(c.thenContains);
      if (c.thenNotContains) expect(t.stdout).not.toContain(c.thenNotContains);
    }
  });
});
