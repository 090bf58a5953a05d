import { vmallocinfoLine, type AreaView } from '../service/area-view.js';

/** Lines per chunk of a streamed listing: large enough to be cheap, small enough to interleave. */
const LINES_PER_CHUNK = 512;

/** The listing of `areas`, `limit` lines at most, as text chunks for a stream. */
export function* vmallocinfoChunks(areas: Iterable<AreaView>, limit: number): Generator<string> {
  let chunk = '';
  let inChunk = 0;
  let sent = 0;
  for (const va of areas) {
    if (sent >= limit) break;
    chunk += vmallocinfoLine(va);
    sent++;
    if (++inChunk === LINES_PER_CHUNK) {
      yield chunk;
      chunk = '';
      inChunk = 0;
    }
  }
  if (chunk !== '') yield chunk;
}
