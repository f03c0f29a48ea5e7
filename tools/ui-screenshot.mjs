#!/usr/bin/env node
// The README's screenshot of `cairn ui`'s metric chart, taken from the demo
// project in Debian's chromium (headless): writes docs/ui-chart.png.
// Usage: npm run build && node tools/ui-screenshot.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CAIRN = path.join(ROOT, 'bin', 'cairn.js');
const OUT = path.join(ROOT, 'docs', 'ui-chart.png');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-ui-shot-'));
try {
  const demo = spawnSync(process.execPath, [CAIRN, 'demo', path.join(dir, 'demo'), '--keep'], { encoding: 'utf8' });
  if (demo.status !== 0) throw new Error(`cairn demo failed:\n${demo.stdout}${demo.stderr}`);
  const project = path.join(dir, 'demo', 'project');
  const server = spawn(process.execPath, [CAIRN, 'ui', '--json'], { cwd: project, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      server.stdout.on('data', (d) => {
        out += d;
        const m = /"url": "([^"]+)"/.exec(out);
        if (m) resolve(m[1]);
      });
      server.on('exit', (code) => reject(new Error(`cairn ui exited ${code}`)));
    });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 720 }, deviceScaleFactor: 1 });
      await page.goto(`${url}#/chart`);
      await page.waitForSelector('#view[data-ready="true"]');
      // Hover the sweep winner so the tooltip (the tag's subject) is in the picture.
      const pos = await page.evaluate(() => {
        const c = window.cairnChart; // eslint-disable-line no-undef
        const p = c.points.find((q) => q.tag === 'e0.2.0');
        const box = c.u.over.getBoundingClientRect();
        return { x: box.left + c.u.valToPos(p.x, 'x'), y: box.top + c.u.valToPos(p.y, 'y') };
      });
      await page.mouse.move(pos.x, pos.y);
      await page.waitForSelector('#tooltip:not([hidden])');
      await page.screenshot({ path: OUT, fullPage: true });
      console.log(`wrote ${path.relative(ROOT, OUT)}`);
    } finally {
      await browser.close();
    }
  } finally {
    server.kill('SIGTERM');
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
