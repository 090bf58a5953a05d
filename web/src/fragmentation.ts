/**
 * Fragmentation of the range shown: free bytes, the largest free block,
 * their ratio and the number of free blocks; the histogram of free block
 * sizes (power-of-two classes) as bars; the top callers and owners by
 * reserved bytes as tables. All from the /v1/map reply, into `#fragmentation`.
 */
import type { HistogramBin, MapReply, TopEntry } from './api.js';
import { formatBytes, formatCount, formatRatio } from './format.js';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A size class as `[min, max)`, e.g. `8 KiB – 16 KiB`. */
function classLabel(b: HistogramBin): string {
  return `${formatBytes(b.min)} – ${formatBytes(b.max)}`;
}

function numbers(map: MapReply): HTMLElement {
  const f = map.fragmentation;
  const dl = el('dl', 'numbers');
  const add = (k: string, v: string, key: string): void => {
    const dd = el('dd', undefined, v);
    dd.dataset.key = key;
    dl.append(el('dt', undefined, k), dd);
  };
  add('free', formatBytes(f.free_bytes), 'free_bytes');
  add('largest free block', formatBytes(f.largest_free_bytes), 'largest_free_bytes');
  add('largest / free', formatRatio(f.ratio), 'ratio');
  add('free blocks', formatCount(f.free_blocks), 'free_blocks');
  add('areas in range', formatCount(map.areas), 'areas');
  if (map.largest_free) add('largest block at', map.largest_free.addr, 'largest_free_addr');
  return dl;
}

function histogram(bins: HistogramBin[]): HTMLElement {
  const box = el('div', 'histogram');
  box.append(el('h3', undefined, 'Free blocks by size'));
  if (bins.length === 0) {
    box.append(el('p', 'empty', 'no free block in this range'));
    return box;
  }
  const maxBlocks = Math.max(1, ...bins.map((b) => b.blocks));
  const table = el('table', 'bars');
  const head = el('tr');
  head.append(el('th', undefined, 'size'), el('th', 'num', 'blocks'), el('th', undefined, ''), el('th', 'num', 'bytes'));
  table.append(el('thead'));
  table.tHead?.append(head);
  const body = el('tbody');
  for (const b of bins) {
    const tr = el('tr');
    const bar = el('td', 'bar-cell');
    const fill = el('span', 'bar');
    // Log scale, so that one huge class does not flatten the rest; at least a sliver.
    const w = b.blocks > 0 ? Math.max(2, (Math.log2(1 + b.blocks) / Math.log2(1 + maxBlocks)) * 100) : 0;
    fill.style.width = `${w.toFixed(1)}%`;
    bar.append(fill);
    tr.append(el('td', 'mono', classLabel(b)), el('td', 'num', formatCount(b.blocks)), bar, el('td', 'num', formatBytes(b.bytes)));
    body.append(tr);
  }
  table.append(body);
  box.append(table);
  return box;
}

function top(title: string, rows: TopEntry[] | null, onAskToken: () => void): HTMLElement {
  const box = el('div', 'top');
  box.append(el('h3', undefined, title));
  if (rows === null) {
    const p = el('p', 'empty', 'Only with a token. ');
    const b = el('button', 'link', 'Enter a token');
    b.type = 'button';
    b.addEventListener('click', onAskToken);
    p.append(b);
    box.append(p);
    return box;
  }
  if (rows.length === 0) {
    box.append(el('p', 'empty', 'no area in this range'));
    return box;
  }
  const table = el('table');
  const head = el('tr');
  head.append(el('th', undefined, 'name'), el('th', 'num', 'reserved'), el('th', 'num', 'areas'));
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    tr.append(el('td', 'name', r.name || '–'), el('td', 'num', formatBytes(r.bytes)), el('td', 'num', formatCount(r.areas)));
    body.append(tr);
  }
  table.append(thead, body);
  box.append(table);
  return box;
}

/** Renders the fragmentation of `map` into `root`. */
export function renderFragmentation(root: HTMLElement, map: MapReply, onAskToken: () => void): void {
  const grid = el('div', 'frag-grid');
  const left = el('div', 'frag-numbers');
  left.append(el('h3', undefined, 'Free space'), numbers(map));
  grid.append(left, histogram(map.fragmentation.histogram), top('Top callers', map.top_callers, onAskToken), top('Top owners', map.top_owners, onAskToken));
  root.replaceChildren(el('h2', undefined, 'Fragmentation'), grid);
}
