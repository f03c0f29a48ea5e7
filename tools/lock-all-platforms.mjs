#!/usr/bin/env node
// package-lock.json must list every platform's optional DuckDB bindings, or
// `npm ci` refuses it ("Missing: @duckdb/node-bindings-darwin-arm64 from lock
// file"). The registry this project is built against serves only linux-x64,
// so `npm install` cannot record the others: this adds their entries (no
// download happens for a platform that is not the one installing).
// Run after any `npm install` that rewrites the lock.
import fs from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;
const platforms = {
  'darwin-arm64': { os: 'darwin', cpu: 'arm64' },
  'darwin-x64': { os: 'darwin', cpu: 'x64' },
  'linux-arm64': { os: 'linux', cpu: 'arm64', libc: 'glibc' },
  'linux-arm64-musl': { os: 'linux', cpu: 'arm64', libc: 'musl' },
  'linux-x64': { os: 'linux', cpu: 'x64', libc: 'glibc' },
  'linux-x64-musl': { os: 'linux', cpu: 'x64', libc: 'musl' },
  'win32-arm64': { os: 'win32', cpu: 'arm64' },
  'win32-x64': { os: 'win32', cpu: 'x64' },
};
let added = 0;
for (const [key, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const m = /^@duckdb\/node-bindings-(.+)$/.exec(name);
    const where = `node_modules/${name}`;
    if (!m || packages[where] || !platforms[m[1]]) continue;
    const p = platforms[m[1]];
    packages[where] = { version, cpu: [p.cpu], license: 'MIT', optional: true, os: [p.os], ...(p.libc ? { libc: [p.libc] } : {}) };
    added++;
    void key;
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added} platform entr${added === 1 ? 'y' : 'ies'}`);
