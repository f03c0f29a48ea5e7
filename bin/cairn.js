#!/usr/bin/env node
// Entry point. `--version` is answered without loading the CLI, so it costs
// little more than starting Node.
import { readFileSync } from 'node:fs';

const version = () => JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
const first = process.argv[2];
if ((first === '--version' || first === '-V') && process.argv.length === 3) {
  process.stdout.write(version() + '\n');
} else {
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(process.argv, version());
}
