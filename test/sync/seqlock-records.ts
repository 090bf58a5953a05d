/**
 * The stress test's records: every field and both bodies are derived from the
 * generation, so a reader can tell from one record alone whether all of it
 * belongs to one publish (whole) or mixes two (torn).
 */
import type { SeqlockInput, SeqlockRecord } from '../../src/sync/seqlock.js';

export const COUNTER_COUNT = 3;
export const TEXT_CAPACITY = 4096;
export const JSON_CAPACITY = 256;

/** Int32 indices in the stress test's control buffer. */
export const READERS_READY = 0;
export const WRITER_DONE = 1;

/** `gen=<g>\n` repeated 1..251 times: lengths vary, so a torn length shows too. */
export function textFor(g: number): string {
  return `gen=${g}\n`.repeat(1 + (g % 251));
}

/** FNV-1a over the string's UTF-16 units (the bodies are ASCII). */
export function checksum(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The record of generation `g`. */
export function recordFor(g: number): SeqlockInput {
  const text = textFor(g);
  return {
    generation: g,
    publishedAt: g * 3 + 0.5,
    counters: [g, g * 2, g % 7],
    text,
    json: JSON.stringify({ g, length: text.length, checksum: checksum(text) }),
  };
}

/** Why `r` is not wholly one generation's record, or undefined if it is. */
export function tornBecause(r: SeqlockRecord): string | undefined {
  const g = r.generation;
  if (!Number.isSafeInteger(g) || g < 0) return `generation ${g}`;
  if (r.publishedAt !== g * 3 + 0.5) return `publishedAt ${r.publishedAt} for generation ${g}`;
  const [c0, c1, c2] = r.counters;
  if (r.counters.length !== COUNTER_COUNT || c0 !== g || c1 !== g * 2 || c2 !== g % 7) return `counters ${r.counters.join()} for generation ${g}`;
  const text = r.text.toString('latin1');
  if (text !== textFor(g)) return `text of ${text.length} chars starting ${JSON.stringify(text.slice(0, 24))} for generation ${g}`;
  let json: unknown;
  try {
    json = JSON.parse(r.json.toString('latin1'));
  } catch {
    return `JSON ${JSON.stringify(r.json.toString('latin1'))} does not parse, generation ${g}`;
  }
  const { g: jg, length, checksum: sum } = json as { g?: unknown; length?: unknown; checksum?: unknown };
  if (jg !== g || length !== text.length || sum !== checksum(text)) return `JSON ${r.json.toString('latin1')} for generation ${g}`;
  return undefined;
}
