/**
 * Latency histograms in microseconds (HdrHistogram, 3 significant digits):
 * autocannon's own latency is whole milliseconds, too coarse for a read that
 * takes 100 µs. Histograms cross process boundaries as compressed base64.
 */
import * as hdr from 'hdr-histogram-js';

/** A recording histogram of latencies in µs. */
export type LatencyHistogram = hdr.Histogram;

/** Latency percentiles in milliseconds (fractional), and the sample count. */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** An empty histogram; it grows as needed, so a 60 s stall is still recorded. */
export function newHistogram(): LatencyHistogram {
  return hdr.build({ bitBucketSize: 32, autoResize: true, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

/** Records a latency given in milliseconds (as performance.now() differences are). */
export function recordMs(h: LatencyHistogram, ms: number): void {
  // Sub-microsecond values would be lost as 0; 1 µs is the floor we can tell apart.
  h.recordValue(Math.max(1, Math.round(ms * 1000)));
}

/** `h` as text for an IPC message. */
export function encodeHistogram(h: LatencyHistogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** The histogram encoded by encodeHistogram. */
export function decodeHistogram(s: string): LatencyHistogram {
  return hdr.decodeFromCompressedBase64(s, 32, false);
}

/** One histogram holding every value of `parts`. */
export function mergeHistograms(parts: readonly LatencyHistogram[]): LatencyHistogram {
  const total = newHistogram();
  for (const p of parts) total.add(p);
  return total;
}

/** Percentiles of `h` in milliseconds, rounded to the µs. */
export function summarize(h: LatencyHistogram): LatencySummary {
  const ms = (us: number): number => Math.round(us) / 1000;
  if (h.totalCount === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    count: h.totalCount,
    mean: ms(h.mean),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}
