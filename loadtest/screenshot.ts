#!/usr/bin/env node
/**
 * The README's picture of the live map (`npm run screenshot`): a vmapd child
 * process (memory store) filled with 100,000 areas, then Alloc/Free writers
 * at 300 ops/s and a /meminfo flood for about 45 s while the page is open in
 * headless Chromium (Debian's, /usr/bin/chromium); after 30 s of that the page
 * is zoomed to the part of the space the areas fill and photographed to
 * docs/page.png. Traffic goes to 127.0.0.1 only; every load is bounded in
 * time and count, and vmapd is stopped by its pid.
 *
 * Options: --areas N (100000), --out FILE (docs/page.png), --chromium PATH.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { chromium } from 'playwright-core';
import { intIn } from './lib/cli.js';
import { makeVmapClient } from './lib/grpc.js';
import { PROJECT_ROOT } from './lib/paths.js';
import { prefill } from './lib/prefill.js';
import { startVmapd, stopServerProcess } from './lib/server-process.js';
import { runFlood } from './meminfo-flood.js';
import { runWriters } from './writers.js';

const LOAD_SEC = 45;
/** How long the page watches the load before the picture: its charts fill meanwhile. */
const WATCH_MS = 30_000;

type PageApi = { state: string; map: { generation: number } | null; mapRenders: number; zoom(from: string, to: string): Promise<void> };
declare const window: { vmapdPage: PageApi };

async function main(): Promise<void> {
  const o = new Command()
    .name('screenshot')
    .description('Photographs the live map of a loaded vmapd for the README.')
    .option('--areas <n>', 'areas to fill the space with', intIn(1, 1_000_000), 100_000)
    .option('--out <file>', 'where the PNG goes', join(PROJECT_ROOT, 'docs', 'page.png'))
    .option('--chromium <path>', 'the Chromium to drive', '/usr/bin/chromium')
    .parse()
    .opts<{ areas: number; out: string; chromium: string }>();

  const vmapd = await startVmapd({ readMode: 'snapshot', extraArgs: ['--store', 'memory'] });
  const browser = await chromium.launch({ executablePath: o.chromium, headless: true, args: ['--no-sandbox'] });
  try {
    const client = makeVmapClient(vmapd.grpc);
    await client.ready(10_000);
    const filled = await prefill(client, o.areas, 1);
    client.close();
    console.log(`filled ${filled.areas} areas in ${filled.ms} ms`);

    const writers = runWriters({ target: vmapd.grpc, procs: 1, clients: 8, durationSec: LOAD_SEC, maxOps: LOAD_SEC * 1000, rate: 300, seed: 2 });
    const flood = runFlood({ url: vmapd.httpUrl, connections: 10, pipelining: 1, durationSec: LOAD_SEC, maxRequests: LOAD_SEC * 200_000 });

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
    await page.goto(vmapd.httpUrl + '/');
    await page.waitForFunction(() => window.vmapdPage.state === 'live' && window.vmapdPage.map !== null);
    await sleep(WATCH_MS);
    // The areas fill the bottom of the space (lowest-address first fit): show that part.
    const end = await lastAddress(vmapd.httpUrl);
    // zoom() resolves once the zoomed map is drawn; then one more sample for the charts.
    await page.evaluate((r) => window.vmapdPage.zoom(r.from, r.to), { from: '0xffffc90000000000', to: end });
    const renders = await page.evaluate(() => window.vmapdPage.mapRenders);
    await page.waitForFunction((n) => window.vmapdPage.mapRenders > n, renders);
    mkdirSync(dirname(o.out), { recursive: true });
    await page.screenshot({ path: o.out, fullPage: true });
    console.log(`wrote ${o.out}`);
    const [w, f] = await Promise.all([writers, flood]);
    console.log(`during the run: ${w.ops} writes, ${f.ok} /meminfo reads (${Math.round(f.reqPerSec)}/s)`);
  } finally {
    await browser.close();
    await stopServerProcess(vmapd);
  }
}

/** One past the end of the highest area (the top of the part the areas fill), from the map of the whole space. */
async function lastAddress(httpUrl: string): Promise<string> {
  const m = (await (await fetch(`${httpUrl}/v1/map?buckets=4096`)).json()) as { from: string; pages: number; buckets: number; free: number[] };
  let last = 0;
  m.free.forEach((free, i) => {
    const size = Math.floor(((i + 1) * m.pages) / m.buckets) - Math.floor((i * m.pages) / m.buckets);
    if (free < size * 4096) last = i + 1;
  });
  const pages = BigInt(Math.floor((last * m.pages) / m.buckets));
  return '0x' + (BigInt(m.from) + pages * 4096n).toString(16);
}

await main();
