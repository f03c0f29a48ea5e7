/**
 * `cairn ui` in a real browser: Debian's chromium, headless, driven by
 * playwright-core (no browser download). Each view renders and shows the
 * numbers of the tags' trailers and the database rows; a click-through sorts,
 * picks two and compares; the exported file works from file:// with the
 * network off; a tag message holding <script> stays text. Screenshots go to
 * test-artifacts/ui/.
 *
 * Without /usr/bin/chromium these tests are skipped with a message, except
 * in CI (CI=true), where a missing browser fails the run (.ci/run installs it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cairnOk } from '../helpers/cli.js';
import { tempDir } from '../helpers/repo.js';
import { exportedPage } from '../../src/ui/page.js';
import { startUi, uiFixture, XSS_MESSAGE, XSS_MODEL, type UiFixture } from './fixture.js';

const CHROMIUM = process.env.CAIRN_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
const ARTIFACTS = path.resolve(import.meta.dirname, '..', '..', 'test-artifacts', 'ui');

if (!haveChromium && !inCi) {
  console.warn(`SKIPPED: the browser tests of cairn ui need chromium at ${CHROMIUM} (apt-get install chromium); in CI (CI=true) its absence fails instead`);
}

test('chromium is there when CI=true', () => {
  if (inCi) expect(haveChromium, `CI=true but no chromium at ${CHROMIUM}: .ci/run installs it with apt`).toBe(true);
});

describe.skipIf(!haveChromium)('cairn ui in chromium', () => {
  let f: UiFixture;
  let ui: { child: ChildProcess; url: string; port: number };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const json = async <T>(args: string[]): Promise<T> => JSON.parse((await cairnOk(args, { cwd: f.repo.dir })).stdout) as T;
  type Tagged = { tag: string; metrics: Record<string, number | string>; params: Record<string, number | string>; subject: string };
  let tags: Tagged[];

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    [f, browser] = await Promise.all([uiFixture(), chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })]);
    ui = await startUi(f.repo.dir);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    tags = (await json<{ experiments: Tagged[] }>(['tags', '--json'])).experiments;
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    ui?.child.kill('SIGTERM');
  });

  async function open(route: string, target: Page = page): Promise<void> {
    await target.goto(`${ui.url}#/${route}`);
    await target.waitForSelector('#view[data-ready="true"]');
  }
  async function shoot(name: string, target: Page = page): Promise<void> {
    await target.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  }
  const texts = (selector: string, target: Page = page) => target.locator(selector).allTextContents();
  const trailer = (tag: string) => tags.find((t) => t.tag === tag)!;
  const best = (tag: string) => [...f.rows[tag]!].sort((a, b) => b.f1 - a.f1)[0]!;

  test("experiments: one row per tag; its metric and param cells are the tag's trailers and its best database row", async () => {
    await open('experiments');
    const rows = page.locator('#experiments tbody tr');
    expect(await rows.count()).toBe(tags.length);
    for (const t of tags) {
      const row = page.locator(`#experiments tbody tr[data-tag="${t.tag}"]`);
      for (const [m, v] of Object.entries(t.metrics)) expect(await row.locator(`td[data-col="metric:${m}"]`).textContent()).toBe(String(v));
      expect(await row.locator('td[data-col="metric:f1"]').textContent()).toBe(String(best(t.tag).f1));
      expect(await row.locator('td[data-col="metric:loss"]').textContent()).toBe(String(best(t.tag).loss));
      expect(await row.locator('td[data-col="param:lr"]').textContent()).toBe(String(best(t.tag).lr));
      expect(await row.locator('td[data-col="run"]').textContent()).toBe(best(t.tag).run);
      expect(await row.locator('td[data-col="rows"]').textContent()).toBe(String(f.rows[t.tag]!.length));
    }
    await shoot('experiments');
    await page.fill('#filter', 'cnn-aug');
    expect(await texts('#experiments tbody td[data-col="version"]')).toEqual(['exp-aug-v1']);
    expect(page.url()).toContain('q=cnn-aug');
    await page.fill('#filter', '');
  });

  test('click-through: sort by f1, pick the top two rows, compare', async () => {
    await open('experiments');
    await page.click('th[data-key="metric:f1"]');
    const byF1 = [...tags].sort((a, b) => Number(b.metrics.f1) - Number(a.metrics.f1)).map((t) => t.tag);
    expect(await texts('#experiments tbody td[data-col="version"]')).toEqual(byF1);
    await page.click('th[data-key="metric:f1"]');
    expect(await texts('#experiments tbody td[data-col="version"]')).toEqual([...byF1].reverse());
    await page.click('th[data-key="metric:f1"]');
    expect(page.url()).toContain('sort=metric%3Af1');
    const [a, b] = byF1 as [string, string];
    await page.locator(`#experiments tbody tr[data-tag="${a}"] td[data-col="date"]`).click(); // a click on the row picks it
    await page.locator(`#experiments tbody tr[data-tag="${b}"] input[type=checkbox]`).click();
    expect(await page.isEnabled('#compare')).toBe(true);
    await page.click('#compare');
    await page.waitForURL(`**/#/compare/${encodeURIComponent(a)}/${encodeURIComponent(b)}`);
    await page.waitForSelector('#view[data-ready="true"]');
    type Changed = { path: string }[];
    const diff = await json<{
      metrics: { name: string; old: number; new: number; delta: number }[];
      params: { name: string }[];
      codeStat: string;
      artifacts: { added: Changed; removed: Changed; changed: Changed };
    }>(['explore', 'diff', a, b, '--json']);
    for (const m of diff.metrics) {
      const row = page.locator('#metric-deltas tbody tr', { has: page.locator(`td[data-col="name"]:text-is("${m.name}")`) });
      expect(await row.locator('td[data-col="old"]').textContent()).toBe(String(m.old));
      expect(await row.locator('td[data-col="new"]').textContent()).toBe(String(m.new));
      expect(await row.locator('td[data-col="old"]').textContent()).toBe(String(trailer(a).metrics[m.name]));
      expect(Number(await row.locator('td[data-col="delta"]').textContent())).toBeCloseTo(m.delta, 6);
    }
    expect(await texts('#param-changes td[data-col="name"]')).toEqual(diff.params.map((p) => p.name));
    const { added, removed, changed } = diff.artifacts;
    expect(await texts('#artifact-changes td[data-col="path"]')).toEqual([...added, ...removed, ...changed].map((c) => c.path));
    expect(await texts('#artifact-changes td[data-col="change"]')).toEqual([
      ...added.map(() => 'added'),
      ...removed.map(() => 'removed'),
      ...changed.map(() => 'changed'),
    ]);
    expect(await page.locator('#codestat').textContent()).toBe(diff.codeStat);
    await shoot('compare');
  });

  test('metric over versions: the primary metric per version, the variant joined to its base; hover shows the subject, click opens it', async () => {
    await open('chart');
    expect(await page.locator('#metric').inputValue()).toBe('f1');
    expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);
    for (const t of tags) {
      const row = page.locator(`#points tbody tr[data-tag="${t.tag}"]`);
      expect(await row.locator('td[data-col="value"]').textContent()).toBe(String(t.metrics.f1));
    }
    expect(await page.locator('#points tbody tr[data-tag="exp-aug-v1"] td[data-col="series"]').textContent()).toBe('exp-aug');
    const points = await page.evaluate(() => (window as unknown as { cairnChart: { points: { tag: string; x: number; y: number }[] } }).cairnChart.points);
    const x = (tag: string) => points.find((p) => p.tag === tag)!.x;
    expect(x('exp-aug-v1')).toBeGreaterThan(x('e0.2.0'));
    expect(x('exp-aug-v1')).toBeLessThan(x('e0.3.0'));
    // The variant's series starts at e0.2.0's value: joined to the version it branched from.
    const series = await page.evaluate(() => {
      const u = (window as unknown as { cairnChart: { u: { data: (number | null)[][] } } }).cairnChart.u;
      return u.data;
    });
    const at = (tag: string) => points.findIndex((p) => p.tag === tag);
    expect(series[2]![at('e0.2.0')]).toBe(trailer('e0.2.0').metrics.f1);
    expect(series[2]![at('exp-aug-v1')]).toBe(trailer('exp-aug-v1').metrics.f1);
    expect(series[2]![at('e0.1.0')]).toBeNull();
    // Hover over e0.3.0's point: the tooltip shows its subject.
    const pos = await page.evaluate((tag) => {
      const c = (
        window as unknown as {
          cairnChart: { u: { valToPos: (v: number, s: string) => number; over: HTMLElement }; points: { tag: string; x: number; y: number }[] };
        }
      ).cairnChart;
      const p = c.points.find((q) => q.tag === tag)!;
      const box = c.u.over.getBoundingClientRect();
      return { x: box.left + c.u.valToPos(p.x, 'x'), y: box.top + c.u.valToPos(p.y, 'y') };
    }, 'e0.3.0');
    await page.mouse.move(pos.x, pos.y);
    await page.waitForSelector('#tooltip:not([hidden])');
    expect(await page.locator('#tooltip').textContent()).toContain(trailer('e0.3.0').subject);
    await shoot('chart');
    await page.mouse.click(pos.x, pos.y);
    await page.waitForURL('**/#/experiment/e0.3.0');
    await page.waitForSelector('#view[data-ready="true"]');
    expect(await page.locator('h2').textContent()).toBe('Experiment e0.3.0');
    await open('chart?metric=loss');
    expect(await page.locator('#points tbody tr[data-tag="e0.1.0"] td[data-col="value"]').textContent()).toBe(String(trailer('e0.1.0').metrics.loss));
  });

  test('one experiment: explore show (metrics, params, artifacts in cache and on the remote) and its models', async () => {
    await open('experiment/e0.3.0');
    const shown = await json<{
      commit: string;
      metrics: Record<string, number>;
      params: Record<string, unknown>;
      artifacts: { path: string; inCache: boolean; onRemote: boolean | null; size: number }[];
    }>(['explore', 'show', 'e0.3.0', '--json']);
    expect(await page.locator('dd[data-field="commit"]').textContent()).toBe(shown.commit);
    for (const [k, v] of Object.entries(shown.metrics))
      expect(
        await page
          .locator('#metrics tr', { has: page.locator(`td[data-col="name"]:text-is("${k}")`) })
          .locator('td[data-col="value"]')
          .textContent(),
      ).toBe(String(v));
    expect(shown.metrics.f1).toBe(best('e0.3.0').f1);
    expect(await texts('#params td[data-col="name"]')).toEqual(Object.keys(shown.params));
    expect(await texts('#artifacts td[data-col="path"]')).toEqual(shown.artifacts.map((a) => a.path));
    expect(await texts('#artifacts td[data-col="inCache"]')).toEqual(shown.artifacts.map((a) => (a.inCache ? 'yes' : 'no')));
    expect(await texts('#artifacts td[data-col="onRemote"]')).toEqual(shown.artifacts.map(() => 'no remote'));
    expect(await texts('#models td[data-col="run"]')).toEqual(['r5']);
    expect(await texts('#models td[data-col="value"]')).toEqual(['0.85']);
    expect(await page.locator('#production-of').textContent()).toContain('run r5');
    await shoot('experiment');
  });

  test('lineage: every version of data, with the experiments that used it', async () => {
    await open('lineage/data');
    const doc = (await (await fetch(`${ui.url}api/lineage?path=data`)).json()) as { versions: { hash: string; experiments: { tag: string }[] }[] };
    for (const v of doc.versions) expect(v).toEqual(await json(['explore', 'lineage', v.hash, '--json']));
    const sections = page.locator('section.lineage-version');
    expect(await sections.count()).toBe(2);
    for (const [i, v] of doc.versions.entries()) {
      expect(await sections.nth(i).getAttribute('data-hash')).toBe(v.hash);
      expect(await sections.nth(i).locator('td[data-col="tag"]').allTextContents()).toEqual(v.experiments.map((e) => e.tag));
    }
    expect(doc.versions.flatMap((v) => v.experiments.map((e) => e.tag)).sort()).toEqual(tags.map((t) => t.tag).sort());
    expect(doc.versions[1]!.experiments.map((e) => e.tag)).toEqual(['e0.1.0']);
    await shoot('lineage');
  });

  test('models: production with its provenance, candidates ranked by the primary metric', async () => {
    await open('models');
    expect(await page.locator('#production dd[data-field="run"]').textContent()).toBe('r5');
    expect(await page.locator('#production dd[data-field="version"]').textContent()).toBe('e0.3.0');
    expect(await page.locator('#production dd[data-field="metric"]').textContent()).toBe(`f1=${best('e0.3.0').f1}`);
    expect(await texts('#candidates td[data-col="run"]')).toEqual(['r5', 'r3']);
    expect(await texts('#candidates td[data-col="value"]')).toEqual([String(best('e0.3.0').f1), String(best('e0.2.0').f1)]);
    await shoot('models');
  });

  test('worktrees: branch, tags and state', async () => {
    await open('worktrees');
    const list = await json<{ worktrees: { path: string; branch: string; dirty: boolean; resultsMerged: string }[] }>(['worktree', 'list', '--json']);
    expect(await texts('#worktrees td[data-col="path"]')).toEqual(list.worktrees.map((w) => w.path));
    expect(await texts('#worktrees td[data-col="branch"]')).toEqual(['main', 'exp/aug']);
    expect(await texts('#worktrees td[data-col="dirty"]')).toEqual(list.worktrees.map((w) => (w.dirty ? 'yes' : 'no')));
    expect(
      await page
        .locator('#worktrees tr', { has: page.locator('td:text-is("exp/aug")') })
        .locator('td[data-col="tags"]')
        .textContent(),
    ).toBe('exp-aug-v1');
    expect(
      await page
        .locator('#worktrees tr', { has: page.locator('td:text-is("exp/aug")') })
        .locator('td[data-col="resultsMerged"]')
        .textContent(),
    ).toBe(list.worktrees[1]!.resultsMerged);
    await shoot('worktrees');
  });

  test('a tag message and a param holding HTML are shown as text, never run', async () => {
    for (const route of ['experiments', 'chart', 'experiment/e0.4.0', 'compare/e0.3.0/e0.4.0', 'lineage/results.db']) {
      await open(route);
      await page.waitForTimeout(50);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      expect(await page.locator('main img, main script').count()).toBe(0);
    }
    await open('experiments');
    expect(await page.locator('#experiments tr[data-tag="e0.4.0"] td[data-col="subject"]').textContent()).toContain(XSS_MESSAGE);
    expect(await page.locator('#experiments tr[data-tag="e0.4.0"] td[data-col="param:model"]').textContent()).toBe(XSS_MODEL);
    await open('experiment/e0.4.0');
    expect(await page.locator('p.subject').textContent()).toContain(XSS_MESSAGE);
    await shoot('xss');
    expect(problems).toEqual([]);
  });

  test('one experiment made by cairn run: the recorded command, exit, duration and dirty flag are shown', async () => {
    // The show document of an experiment `cairn run` tagged carries these fields (Cairn-Command, -Exit, -Duration, -Dirty).
    const api = async (e: string) => (await fetch(`${ui.url}api/${e}`)).json() as Promise<Record<string, unknown>>;
    const show = {
      ...(await api('show?version=e0.3.0')),
      command: ['python', 'train.py', '--lr', '<b>0.1</b>'],
      workdir: '.',
      exit: 0,
      duration: 12.5,
      dirty: true,
    };
    const file = path.join(tempDir(), 'run.html');
    const snapshot = {
      info: await api('info'),
      list: await api('list'),
      models: await api('models'),
      worktrees: await api('worktrees'),
      bases: await api('bases'),
      show: { 'e0.3.0': show },
      diff: {},
      lineage: {},
      notes: [],
    };
    fs.writeFileSync(file, exportedPage(snapshot));
    const p = await context.newPage();
    await p.goto(`${pathToFileURL(file).href}#/experiment/e0.3.0`);
    await p.waitForSelector('#view[data-ready="true"]');
    expect(await p.locator('#recorded dd[data-field="command"]').textContent()).toBe('python train.py --lr <b>0.1</b>');
    expect(await p.locator('#recorded dd[data-field="exit"]').textContent()).toBe('0');
    expect(await p.locator('#recorded dd[data-field="duration"]').textContent()).toBe('12.5 s');
    expect(await p.locator('#recorded dd[data-field="dirty"]').textContent()).toBe('yes');
    await shoot('experiment-run', p);
    await open('experiment/e0.3.0');
    expect(await page.locator('#recorded').count()).toBe(0); // tagged by cairn tag: nothing recorded
    await p.close();
  });

  test('the exported file, opened from file:// with the network off, shows the same numbers', async () => {
    const out = path.join(tempDir(), 'report.html');
    await cairnOk(['ui', '--export', out], { cwd: f.repo.dir });
    const offline = await browser.newContext({ offline: true, viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    offline.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
    });
    const p = await offline.newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    const open2 = async (route: string) => {
      await p.goto(`${pathToFileURL(out).href}#/${route}`);
      await p.waitForSelector('#view[data-ready="true"]');
    };
    await open2('experiments');
    for (const t of tags) {
      const row = p.locator(`#experiments tbody tr[data-tag="${t.tag}"]`);
      expect(await row.locator('td[data-col="metric:f1"]').textContent()).toBe(String(t.metrics.f1));
      expect(await row.locator('td[data-col="metric:loss"]').textContent()).toBe(String(t.metrics.loss));
    }
    await shoot('export-experiments', p);
    await open2('chart');
    for (const t of tags) expect(await p.locator(`#points tbody tr[data-tag="${t.tag}"] td[data-col="value"]`).textContent()).toBe(String(t.metrics.f1));
    expect(await p.locator('#chart canvas').count()).toBeGreaterThan(0);
    await shoot('export-chart', p);
    await open2('compare/e0.1.0/e0.3.0');
    expect(
      await p
        .locator('#metric-deltas tr', { has: p.locator('td:text-is("f1")') })
        .locator('td[data-col="new"]')
        .textContent(),
    ).toBe(String(trailer('e0.3.0').metrics.f1));
    await open2('experiment/e0.3.0');
    expect(await p.locator('#artifacts td[data-col="path"]').count()).toBeGreaterThan(0);
    await open2('models');
    expect(await p.locator('#candidates td[data-col="run"]').allTextContents()).toEqual(['r5', 'r3']);
    await open2('worktrees');
    expect(await p.locator('#worktrees td[data-col="branch"]').allTextContents()).toEqual(['main', 'exp/aug']);
    await open2('lineage/data');
    expect(await p.locator('section.lineage-version').count()).toBe(2);
    await open2('experiment/e0.4.0');
    expect(await p.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await p.locator('p.subject').textContent()).toContain(XSS_MESSAGE);
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await offline.close();
  });
});
