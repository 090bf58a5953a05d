/**
 * The live stream `GET /v1/events` (server-sent events), read with fetch so
 * that the Authorization header can be sent (EventSource cannot send
 * headers), parsed by eventsource-parser. First `event: history` (a JSON
 * array of samples), then one `event: meminfo` per sample. When the stream
 * ends or fails it is opened again with a backoff; the samples already
 * received are kept.
 */
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { authorizedFetch, errorOf, type Sample } from './api.js';

/** What the stream tells its user. */
export interface EventHandlers {
  /** The samples of `event: history`, oldest first. */
  onHistory(samples: Sample[]): void;
  /** One sample of `event: meminfo`. */
  onSample(sample: Sample): void;
  /** The stream is open (`live`), or closed and being opened again, with why. */
  onStatus(status: 'live' | 'reconnecting', why?: string): void;
}

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 10_000;

function isSample(v: unknown): v is Sample {
  return typeof v === 'object' && v !== null && typeof (v as Sample).at === 'number' && typeof (v as Sample).generation === 'number';
}

/** Reads one connection until it ends; resolves then, rejects on a failure. `opened` is called at its first event. */
async function readOnce(h: EventHandlers, signal: AbortSignal, opened: () => void): Promise<void> {
  const res = await authorizedFetch('/v1/events', { headers: { accept: 'text/event-stream' }, signal, cache: 'no-store' });
  if (!res.ok) throw await errorOf(res);
  if (!res.body) throw new Error('the event stream has no body');
  const reader = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  let first = true;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      if (first) {
        first = false;
        opened();
      }
      let data: unknown;
      try {
        data = JSON.parse(value.data);
      } catch {
        continue;
      }
      if (value.event === 'history') {
        if (Array.isArray(data)) h.onHistory(data.filter(isSample));
      } else if (value.event === 'meminfo' || value.event === undefined) {
        if (isSample(data)) h.onSample(data);
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** Keeps the stream open until `signal` aborts. */
export async function runEvents(h: EventHandlers, signal: AbortSignal): Promise<void> {
  let backoff = MIN_BACKOFF_MS;
  while (!signal.aborted) {
    let why = 'the event stream ended';
    try {
      await readOnce(h, signal, () => {
        backoff = MIN_BACKOFF_MS;
        h.onStatus('live');
      });
    } catch (e) {
      if (signal.aborted) return;
      why = e instanceof Error ? e.message : String(e);
    }
    h.onStatus('reconnecting', why);
    await new Promise<void>((resolve) => setTimeout(resolve, backoff * (0.75 + Math.random() * 0.5)));
    backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
  }
}
