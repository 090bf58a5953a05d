#!/usr/bin/env node
/**
 * compare: what `npm run loadtest` runs. In one run on this machine it
 * measures the ceilings (a bare fastify route, a bare grpc-js echo), then
 * vmapd in each read mode: /meminfo under write load, /meminfo scaling with
 * the number of live areas, writers with and without the /meminfo flood,
 * /meminfo while AllocBatch keeps the writer busy, vmapd's reader
 * threads against a bare route on as many threads, and /meminfo while
 * simulated pages of the live map are open. `--phases` runs only some.
 * Writes results.json, report.md and chart.{svg,png} to
 * loadtest/results/<timestamp>/. Every server it starts is a child process
 * on 127.0.0.1, stopped by its pid; every step is bounded in time.
 *
 * The pieces are under loadtest/compare/: options, the run's bookkeeping
 * (run.ts), the loads, the phases, the outputs.
 */
import { stopAllPageClients } from './page-clients.js';
import { stopAllWriters } from './writers.js';
import { stopAllServers } from './lib/server-process.js';
import { evaluateTargets } from './lib/targets.js';
import { phaseRan, type PhaseName } from './lib/results.js';
import { parseOptions } from './compare/options.js';
import { rerender, writeOutputs } from './compare/outputs.js';
import { baselines, expectedSeconds, scaling, underLoadAndIsolation } from './compare/phases.js';
import { pagesOpen } from './compare/pages.js';
import { CompareRun } from './compare/run.js';
import { readerThreads } from './compare/threads.js';

async function main(): Promise<void> {
  const { out, ...settings } = parseOptions();
  const run = await CompareRun.start(settings, expectedSeconds);
  const ran = (p: PhaseName): boolean => phaseRan(run.s, p);
  if (ran('load')) await underLoadAndIsolation(run);
  if (ran('scaling')) await scaling(run);
  if (ran('threads')) await readerThreads(run);
  if (ran('pages')) await pagesOpen(run);
  if (ran('baselines')) await baselines(run);
  run.stopProgress();
  if (run.interrupted) return;
  run.results.finishedAt = new Date().toISOString();
  run.results.targets = evaluateTargets(run.results);
  await writeOutputs(run.results, out);
}

const rerenderAt = process.argv.indexOf('--rerender');
const job = rerenderAt > 0 && process.argv[rerenderAt + 1] !== undefined ? rerender(process.argv[rerenderAt + 1]!) : main();
job.catch(async (err: unknown) => {
  process.stderr.write(`compare: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  stopAllWriters();
  stopAllPageClients();
  await stopAllServers();
  process.exit(1);
});
