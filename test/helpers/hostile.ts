/**
 * The hostile-input harness: each case of a `fixtures/hostile/*.json` file
 * builds a fresh repository, applies its `setup` (see fixtures/hostile/README.md),
 * runs one cairn command with a time limit, and checks the exit code, the
 * message, that the repository and a victim folder outside it are byte for
 * byte as they were (sha256 of every file), and that no sentinel appeared.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cairn, cairnOk } from './cli.js';
import { gitRepo, repoAt, tempDir, type TestRepo } from './repo.js';
import { sqliteResults, type ResultRow } from './results.js';
import { hashBytes } from '../../src/store/hash.js';

export interface HostileCase {
  name: string;
  setup: {
    files?: Record<string, string>;
    sqlite?: Record<string, Record<string, ResultRow[]>>;
    objects?: string[];
    commands?: string[][];
    /** Commit everything so far (pointers become tracked, as in a clone). */
    commit?: boolean;
    remove?: string[];
    symlinks?: Record<string, string>;
    fifos?: string[];
    sockets?: string[];
    /** path → size: a file of that many spaces (oversized input). */
    big?: Record<string, number>;
  };
  run: string[];
  exit: number;
  message: string;
  /** The command may change the repository (never the victim folder). */
  repoMayChange?: boolean;
  then?: string[];
  thenContains?: string;
  thenNotContains?: string;
}

export const HOSTILE_DIR = path.resolve(import.meta.dirname, '../../fixtures/hostile');
/** A command that hangs on a FIFO or grows on /dev/zero fails here instead of stalling the suite. */
const COMMAND_TIMEOUT_MS = 30_000;

export function loadCorpus(files: string[]): [string, HostileCase][] {
  return files.flatMap((f) =>
    (JSON.parse(fs.readFileSync(path.join(HOSTILE_DIR, f), 'utf8')) as HostileCase[]).map((c): [string, HostileCase] => [
      `${f.replace('.json', '')}: ${c.name}`,
      c,
    ]),
  );
}

/** Every file of the work tree (outside .git, plus the cache objects) and of the victim folder, by content hash. */
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
        out.set(p, 'dir');
        visit(p);
      } else if (e.isSymbolicLink()) out.set(p, `-> ${fs.readlinkSync(p)}`);
      else if (e.isFile()) out.set(p, hashBytes(fs.readFileSync(p)));
      else out.set(p, e.isFIFO() ? 'fifo' : e.isSocket() ? 'socket' : 'special');
    }
  };
  roots.forEach(visit);
  return out;
}

interface Victim {
  dir: string;
  file: string;
  sentinel: string;
}

/** Replace the placeholders of the README; `{{OBJECT:n}}` is the hash of object n once its own placeholders are filled. */
function fill(text: string, victim: Victim, objects: string[] = [], depth = 0): string {
  return text
    .replace(/\{\{OBJECT:(\d+)\}\}/g, (_m, i: string) => hashBytes(depth > 8 ? '' : fill(objects[Number(i)] ?? '', victim, objects, depth + 1)))
    .replaceAll('{{OUTSIDE_DIR}}', victim.dir)
    .replaceAll('{{OUTSIDE}}', victim.file)
    .replaceAll('{{SENTINEL}}', victim.sentinel);
}

/** A repository after `cairn init` and a commit, made once per test file; each case gets a copy. */
let template: string | null = null;

/**
 * A fresh initialised repository: a copy of the template (no absolute path
 * is recorded in it, and a default cache records no user), its index
 * refreshed for the copies' new inodes. One cp and one git process instead of
 * seven git processes and a cairn process per case.
 */
async function initialisedRepo(): Promise<TestRepo> {
  if (!template) {
    const made = gitRepo();
    await cairnOk(['init'], { cwd: made.dir });
    made.commit('init');
    template = made.dir;
  }
  const dir = path.join(tempDir(), 'repo');
  fs.cpSync(template, dir, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  const repo = repoAt(dir);
  repo.git('update-index', '-q', '--refresh');
  return repo;
}

async function prepare(c: HostileCase, victim: Victim, servers: net.Server[]): Promise<TestRepo> {
  const repo = await initialisedRepo();
  const at = (rel: string): string => {
    const abs = path.join(repo.dir, fill(rel, victim));
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    return abs;
  };
  for (const [rel, text] of Object.entries(c.setup.files ?? {})) repo.write(fill(rel, victim), fill(text, victim, c.setup.objects));
  for (const [file, tables] of Object.entries(c.setup.sqlite ?? {})) {
    for (const [table, rows] of Object.entries(tables)) sqliteResults(path.join(repo.dir, file), table, rows);
  }
  for (const text of c.setup.objects ?? []) {
    const content = fill(text, victim, c.setup.objects);
    const hex = hashBytes(content).slice(7);
    const file = path.join(repo.dir, '.git/cairn/cache/objects', hex.slice(0, 2), hex.slice(2));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode: 0o444 });
  }
  for (const args of c.setup.commands ?? [])
    await cairnOk(
      args.map((a) => fill(a, victim)),
      { cwd: repo.dir },
    );
  if (c.setup.commit) repo.commit('hostile content');
  for (const rel of c.setup.remove ?? []) fs.rmSync(path.join(repo.dir, rel), { recursive: true, force: true });
  for (const [rel, target] of Object.entries(c.setup.symlinks ?? {})) fs.symlinkSync(fill(target, victim), at(rel));
  for (const rel of c.setup.fifos ?? []) execFileSync('mkfifo', [at(rel)]);
  for (const rel of c.setup.sockets ?? []) {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(at(rel), resolve));
    servers.push(server);
  }
  for (const [rel, size] of Object.entries(c.setup.big ?? {})) fs.writeFileSync(at(rel), Buffer.alloc(size, ' '));
  return repo;
}

/** One vitest test per case of the given corpus files, all checked the same way. */
export function describeCorpus(title: string, files: string[], minimum: number): void {
  const corpus = loadCorpus(files);
  describe(`${title} (${corpus.length} cases in fixtures/hostile)`, () => {
    it(`has at least ${minimum} cases`, () => {
      expect(corpus.length).toBeGreaterThanOrEqual(minimum);
    });

    it.each(corpus)('%s', async (_label, c) => {
      const dir = tempDir('cairn-victim-');
      const victim: Victim = { dir, file: path.join(dir, 'victim.txt'), sentinel: path.join(dir, 'SENTINEL') };
      fs.writeFileSync(victim.file, 'victim: must never change');
      const victimHash = hashBytes(fs.readFileSync(victim.file));
      const servers: net.Server[] = [];
      try {
        const repo = await prepare(c, victim, servers);
        const before = snapshot([repo.dir, dir]);
        const victimListing = fs.readdirSync(dir).sort();
        const r = await cairn(
          c.run.map((a) => fill(a, victim)),
          { cwd: repo.dir, timeoutMs: COMMAND_TIMEOUT_MS },
        );
        const output = r.stdout + r.stderr;
        expect(r.timedOut, `cairn ${c.run.join(' ')} did not finish in ${COMMAND_TIMEOUT_MS} ms`).toBe(false);
        expect(r.exitCode, output).toBe(c.exit);
        expect(output).toContain(fill(c.message, victim));
        if (c.exit !== 0) expect(r.stderr).toMatch(/hint: |error: /);
        expect(output).not.toContain('this is a bug in cairn');
        const after = snapshot([repo.dir, dir]);
        if (c.repoMayChange) {
          for (const [p, h] of after) if (p.startsWith(dir + path.sep)) expect(h, p).toBe(before.get(p));
        } else {
          expect(after).toEqual(before);
        }
        expect(hashBytes(fs.readFileSync(victim.file))).toBe(victimHash);
        expect(fs.readdirSync(dir).sort()).toEqual(victimListing);
        expect(fs.existsSync(victim.sentinel)).toBe(false);
        if (c.then) {
          const t = await cairnOk(c.then, { cwd: repo.dir });
          if (c.thenContains) expect(t.stdout).toContain(c.thenContains);
          if (c.thenNotContains) expect(t.stdout).not.toContain(c.thenNotContains);
        }
      } finally {
        for (const s of servers) s.close();
      }
    });
  });
}
