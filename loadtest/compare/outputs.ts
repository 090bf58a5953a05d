/**
 * What a compare run leaves behind: results.json, report.md and the chart
 * (Vega-Lite spec, SVG, PNG) in one directory, and the report's head on
 * stdout.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { renderChart } from '../lib/chart.js';
import { renderReport } from '../lib/report.js';
import type { CompareResults } from '../lib/results.js';
import { evaluateTargets } from '../lib/targets.js';

/** Writes results.json, report.md and the chart to `out`, and the report's head to stdout. */
export async function writeOutputs(results: CompareResults, out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  const chart = await renderChart(results);
  writeFileSync(join(out, 'chart.vl.json'), JSON.stringify(chart.spec, null, 2) + '\n');
  writeFileSync(join(out, 'chart.svg'), chart.svg);
  writeFileSync(join(out, 'chart.png'), chart.png);
  const report = renderReport(results, 'chart.png');
  writeFileSync(join(out, 'report.md'), report + '\n');
  const rel = relative(process.cwd(), out) || '.';
  process.stdout.write(`\n${report.split('## 1.')[0]}\nresults: ${rel}/report.md, results.json, chart.png, chart.svg\n`);
}

/** Re-renders report and chart from an existing results.json (after a change to the report code). */
export async function rerender(dir: string): Promise<void> {
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as CompareResults;
  results.targets = evaluateTargets(results);
  await writeOutputs(results, dir);
}
