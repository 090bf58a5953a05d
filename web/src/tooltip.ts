/**
 * The map's tooltip `#tooltip`: a bucket's range and bytes, and the area
 * under the pointer when it is known. Text only (names are the callers').
 */
import type { AreaReply } from './api.js';
import { formatBigBytes, formatBytes, formatCount, hex } from './format.js';

/** What the tooltip says about one bucket. */
export interface BucketInfo {
  start: bigint;
  end: bigint;
  pages: bigint;
  busy: number;
  guard: number;
  lazy: number;
  free: number;
}

/** What the tooltip says about the area under the pointer. */
export type AreaInfo = { kind: 'area'; area: AreaReply } | { kind: 'text'; text: string } | null;

export class Tooltip {
  constructor(private readonly el: HTMLElement) {}

  get shown(): boolean {
    return !this.el.hidden;
  }

  hide(): void {
    this.el.hidden = true;
  }

  /** Shows `bucket` and `area` near the client point (x, y). */
  show(bucket: BucketInfo, area: AreaInfo, x: number, y: number): void {
    const t = this.el;
    t.replaceChildren();
    line(t, 'range', `${hex(bucket.start)} – ${hex(bucket.end)}`);
    line(t, 'size', `${formatBigBytes(bucket.end - bucket.start)} (${formatCount(Number(bucket.pages))} page${bucket.pages === 1n ? '' : 's'})`);
    line(t, 'busy', formatBytes(bucket.busy), 'busy');
    line(t, 'guard', formatBytes(bucket.guard), 'guard');
    line(t, 'lazy', formatBytes(bucket.lazy), 'lazy');
    line(t, 'free', formatBytes(bucket.free), 'free');
    const box = document.createElement('div');
    box.className = 'tt-area';
    if (area?.kind === 'area') showArea(box, area.area);
    else if (area?.kind === 'text') box.textContent = area.text;
    t.append(box);
    t.hidden = false;
    this.place(x, y);
  }

  /** Replaces the area part's text (a failed lookup). */
  setAreaText(text: string): void {
    const box = this.el.querySelector('.tt-area');
    if (box && this.shown) box.textContent = text;
  }

  /** Moves it next to the client point (x, y), inside the window. */
  place(x: number, y: number): void {
    const t = this.el;
    const w = t.offsetWidth;
    const h = t.offsetHeight;
    const left = Math.min(window.innerWidth - w - 8, x + 14);
    const top = y + 18 + h > window.innerHeight ? y - h - 10 : y + 18;
    t.style.left = `${Math.max(4, left)}px`;
    t.style.top = `${Math.max(4, top)}px`;
  }
}

function line(parent: HTMLElement, label: string, value: string, swatch?: 'busy' | 'guard' | 'lazy' | 'free'): void {
  const row = document.createElement('div');
  row.className = 'tt-row';
  const k = document.createElement('span');
  k.className = 'tt-key';
  if (swatch) {
    const sw = document.createElement('i');
    sw.className = `swatch swatch-${swatch}`;
    k.append(sw);
  }
  k.append(label);
  const v = document.createElement('span');
  v.className = 'tt-value';
  v.textContent = value;
  row.append(k, v);
  parent.append(row);
}

function showArea(box: HTMLElement, a: AreaReply): void {
  const title = document.createElement('div');
  title.className = 'tt-title';
  title.textContent = a.lazy ? 'area (lazily freed)' : 'area';
  box.append(title);
  line(box, 'start', a.addr);
  line(box, 'size', `${formatBytes(a.size)} (${formatBytes(a.area_size)} reserved)`);
  line(box, 'caller', a.caller || '–');
  line(box, 'owner', a.owner || '–');
}
