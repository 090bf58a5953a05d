import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { call, startTestServer } from '../helpers/server.js';

/*
 * The live map in a real browser (Debian's Chromium, headless): the page
 * vmapd serves at / loads with no console error, shows known allocations in
 * the buckets it rendered (the data it drew, read through
 * window.vmapdPage, not its pixels), follows a write in its chart, narrows
 * its address axis on a drag, and asks a protected vmapd's user for a token.
 */

const CHROMIUM = '/usr/bin/chromium';
const PAGE = 4096;
const BASE = 0xffffc90000000000n;
const hexAt = (page: number): string => '0x' + (BASE + BigInt(page * PAGE)).toString(16);

type MapReply = { generation: number; from: string; to: string; buckets: number; busy: number[]; guard: number[]; lazy: number[]; free: number[] };
type Sample = { generation: number; nr_areas: number };
interface PageApi {
  state: string;
  map: MapReply | null;
  mapRenders: number;
  samples: Sample[];
  zoom(from: string, to: string): Promise<void>;
}
declare const window: { vmapdPage: PageApi };
declare const sessionStorage: { getItem(key: string): string | null };
declare const localStorage: { length: number };

/** Everything the page said that a user would call a fault: console errors and warnings, uncaught errors, failed requests. */
function faultsOf(page: Page): string[] {
  const faults: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') faults.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => faults.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // Leaving the page aborts its event stream: not a fault.
    if (!r.url().endsWith('/v1/events')) faults.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) faults.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return faults;
}

const mapOf = (page: Page): Promise<MapReply | null> => page.evaluate(() => window.vmapdPage.map);

const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (Debian's chromium package; .ci/run installs it)`;

describe('the page, in Chromium', { skip }, () => {
  let browser: Browser;
  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser.close();
  });

  it('loads with no fault, shows allocations where they are, follows a write, zooms on a drag', { timeout: 120_000 }, async () => {
    const s = await startTestServer({ lazyMaxPages: 1 << 20 });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const faults = faultsOf(page);
    try {
      // Pages 0-2 busy (2 + guard), 3-6 lazy (freed), 7-10 busy (3 + guard).
      await call(s.client, 'Alloc', { size: '8192', caller: 'alpha' });
      const b = await call<{ addr: string }>(s.client, 'Alloc', { size: '12288', caller: 'beta' });
      await call(s.client, 'Alloc', { size: '12288', caller: 'alpha' });
      await call(s.client, 'Free', { addr: b.addr });

      const res = await page.goto(s.httpUrl + '/');
      assert.equal(res?.status(), 200);
      assert.match(res?.headers()['content-security-policy'] ?? '', /default-src 'self'/);
      await page.waitForFunction(() => window.vmapdPage.state === 'live' && window.vmapdPage.map !== null);
      const whole = (await mapOf(page))!;
      assert.equal(whole.generation, 4);
      assert.equal(whole.from, hexAt(0));
      assert.equal(whole.busy[0], 5 * PAGE, 'the busy pages are in the first bucket of the whole space');
      assert.equal(whole.lazy[0], 4 * PAGE);
      assert.equal(whole.busy.slice(1).reduce((a, v) => a + v, 0), 0);

      // Zoomed in to the first 16 pages, one bucket per page: each page as it is.
      await page.evaluate((r) => window.vmapdPage.zoom(r.from, r.to), { from: hexAt(0), to: hexAt(16) });
      const pages = (await mapOf(page))!;
      assert.equal(pages.buckets, 16);
      const kind = (i: number): string => (pages.busy[i] ? 'B' : pages.guard[i] ? 'G' : pages.lazy[i] ? 'L' : pages.free[i] ? '.' : '?');
      assert.equal(Array.from({ length: 16 }, (_, i) => kind(i)).join(''), 'BBGLLLLBBBG.....');

      // A write shows in the chart within a second of its answer.
      const before = await page.evaluate(() => window.vmapdPage.samples.length);
      await call(s.client, 'Alloc', { size: '4096', caller: 'gamma' });
      await page.waitForFunction(() => window.vmapdPage.samples.at(-1)?.generation === 5, undefined, { timeout: 1000 });
      const last = await page.evaluate(() => window.vmapdPage.samples.at(-1)!);
      assert.equal(last.nr_areas, 3);
      assert.ok((await page.evaluate(() => window.vmapdPage.samples.length)) > before);
      // And the map follows it (its page 11 is the new area's).
      await page.waitForFunction(() => (window.vmapdPage.map?.generation ?? 0) >= 5);
      assert.equal((await mapOf(page))!.busy[11], PAGE);

      // Back to the whole space, then a drag across part of the strip narrows the axis.
      await page.click('#zoom-reset');
      await page.waitForFunction(() => window.vmapdPage.map?.buckets !== 16);
      const axis = async (): Promise<bigint> => BigInt((await page.textContent('#axis-to'))!.trim()) - BigInt((await page.textContent('#axis-from'))!.trim());
      const wide = await axis();
      // The whole space: 32 TiB but the last page, which is never allocated.
      assert.equal(wide, (32n << 40n) - 4096n);
      const box = (await page.locator('#map').boundingBox())!;
      const renders = await page.evaluate(() => window.vmapdPage.mapRenders);
      await page.mouse.move(box.x + box.width * 0.2, box.y + 5);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.4, box.y + 5, { steps: 5 });
      await page.mouse.up();
      await page.waitForFunction((n) => window.vmapdPage.mapRenders > n && window.vmapdPage.map?.from !== '0xffffc90000000000', renders);
      const narrow = await axis();
      assert.ok(narrow > 0n && narrow < wide / 2n, `axis ${narrow} after the drag, ${wide} before`);
      assert.deepEqual(faults, []);
    } finally {
      await page.close();
      await s.stop();
    }
  });

  it('asks a protected vmapd for a token, and goes live with it', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmapd-page-'));
    const tokens = join(dir, 'tokens');
    const token = 'page-token-4c1e9b7a2d05';
    await writeFile(tokens, `${token} viewer admin\n`);
    const s = await startTestServer({ tokens, protectReads: true });
    const page = await browser.newPage();
    const faults = faultsOf(page);
    try {
      await page.goto(s.httpUrl + '/');
      await page.waitForFunction(() => window.vmapdPage.state === 'needs-token');
      assert.equal(await page.isVisible('#token-form'), true);
      await page.fill('#token', token);
      await page.click('#token-save');
      await page.waitForFunction(() => window.vmapdPage.state === 'live' && window.vmapdPage.map !== null);
      assert.equal(await page.isVisible('#token-form'), false);
      // The token is the tab's: kept in sessionStorage, never in localStorage.
      assert.equal(await page.evaluate(() => sessionStorage.getItem('vmapd-token')), token);
      assert.equal(await page.evaluate(() => localStorage.length), 0);
      // The only faults are the 401s that made the page ask.
      assert.ok(faults.length > 0 && faults.every((f) => /^(HTTP 401|console error: Failed to load resource: the server responded with a status of 401)/.test(f)), faults.join('\n'));
    } finally {
      await page.close();
      await s.stop();
      await rm(dir, { recursive: true });
    }
  });
});
