#!/usr/bin/env node
// Entry point. `--version` is answered without loading the CLI, so it costs
// little more than starting Node.
import { readFileSync } from 'node:fs';

// A reader that goes away (`cairn ... | head`) is not an error: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const version = () => JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
const first = process.argv[2];
if ((first === '--version' || first === '-V') && process.argv.length === 3) {
  process.stdout.write(version() + '\n');
} else {
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(process.argv, version());
}
