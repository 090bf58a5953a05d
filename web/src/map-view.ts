/**
 * The map: the range of a `GET /v1/map` reply as a strip of buckets on a
 * canvas, read left to right and wrapped into up to four rows. Each bucket is
 * a column whose heights stack its busy, guard, lazy and free bytes (from the
 * bottom); a category that holds anything gets at least one pixel. The
 * largest free block is underlined. Under the strip, the address axis
 * (`#axis-from`, `#axis-to`); row start addresses on the left.
 *
 * Pointer: a drag across buckets zooms into them, a click into one bucket
 * (both through `onZoom`); hovering shows `#tooltip` with the bucket's bytes
 * and, for buckets of a few pages or a known area, the area under the
 * pointer (GET /v1/areas/:addr).
 */
import type { AreaReply, MapReply } from './api.js';
import { AreaCache, type KnownArea } from './area-cache.js';
import { formatBigBytes, formatCount, hex } from './format.js';
import { Tooltip, type AreaInfo, type BucketInfo } from './tooltip.js';

/** Colours of the categories, shared with the legend (styles.css). */
export const COLOURS = {
  busy: '#3867d6',
  guard: '#e8453c',
  lazy: '#f0a020',
  free: '#e3e7ee',
  largest: '#16a05a',
  selection: 'rgba(20, 30, 60, 0.28)',
  hover: 'rgba(20, 30, 60, 0.55)',
  area: '#111827',
  label: '#5b6472',
} as const;

const GUTTER = 132; // row start addresses
const MAX_ROWS = 4;
const MIN_CELL = 3; // CSS px per bucket at most buckets
const ROW_H = 36;
const ROW_GAP = 12; // the largest-free underline sits here
const PAD_TOP = 4;
const MAX_BUCKETS = 4096;
/** Buckets of at most this many pages look their area up on hover. */
const AREA_LOOKUP_PAGES = 16n;
const DRAG_THRESHOLD_PX = 4;
/** The pointer rests this long on a page before its area is looked up. */
const LOOKUP_DELAY_MS = 120;

export interface MapViewOptions {
  canvas: HTMLCanvasElement;
  tooltip: HTMLElement;
  axisFrom: HTMLElement;
  axisTo: HTMLElement;
  axisInfo: HTMLElement | null;
  /** A drag or a click asks to zoom into [from, to). */
  onZoom(from: bigint, to: bigint): void;
  /** The busy area holding `addr`, or null (404). */
  lookupArea(addr: string): Promise<AreaReply | null>;
  /** The layout can now hold a different number of buckets (the canvas was resized). */
  onCapacityChange(capacity: number): void;
}

/** The geometry of one rendered reply, in bigints (pages counted from `from`). */
interface Layout {
  map: MapReply;
  from: bigint;
  to: bigint;
  pageSize: bigint;
  pages: bigint;
  buckets: number;
  rows: number;
  cols: number;
  cellW: number;
  width: number;
  height: number;
}

interface Drag {
  pointerId: number;
  startX: number;
  startY: number;
  a: number;
  b: number;
  moved: boolean;
}

export class MapView {
  private readonly o: MapViewOptions;
  private layout: Layout | null = null;
  private drag: Drag | null = null;
  private hoverBucket: number | null = null;
  private hoverPage: bigint | null = null;
  /** The area under the pointer, when known: outlined on the strip. */
  private hoverArea: KnownArea | null = null;
  private lastClient = { x: 0, y: 0 };
  /** Areas looked up lately, and addresses that had none. */
  private readonly areas = new AreaCache();
  private readonly tooltip: Tooltip;
  private lookupTimer: ReturnType<typeof setTimeout> | null = null;
  private lastCapacity = 0;

  constructor(o: MapViewOptions) {
    this.o = o;
    this.tooltip = new Tooltip(o.tooltip);
    const c = o.canvas;
    c.addEventListener('pointerdown', (e) => this.pointerDown(e));
    c.addEventListener('pointermove', (e) => this.pointerMove(e));
    c.addEventListener('pointerup', (e) => this.pointerUp(e));
    c.addEventListener('pointercancel', () => this.cancelDrag());
    window.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.drag) this.cancelDrag();
    });
    c.addEventListener('pointerleave', () => {
      if (!this.drag) this.setHover(null, null);
    });
    this.lastCapacity = this.capacity();
    new ResizeObserver(() => requestAnimationFrame(() => this.resized())).observe(c);
  }

  private resized(): void {
    this.draw();
    const cap = this.capacity();
    if (cap !== this.lastCapacity) {
      this.lastCapacity = cap;
      this.o.onCapacityChange(cap);
    }
  }

  /** How many buckets the strip shows at its current width. */
  capacity(): number {
    return Math.min(MAX_BUCKETS, this.maxCols() * MAX_ROWS);
  }

  private maxCols(): number {
    const w = this.o.canvas.clientWidth || 800;
    return Math.max(1, Math.floor((w - GUTTER - 2) / MIN_CELL));
  }

  /** Renders `map` (a /v1/map reply). */
  render(map: MapReply): void {
    const from = BigInt(map.from);
    const to = BigInt(map.to);
    const pageSize = BigInt(map.space.page_size);
    const buckets = Math.max(1, map.buckets);
    const maxCols = this.maxCols();
    const rows = Math.max(1, Math.ceil(buckets / maxCols));
    const cols = Math.ceil(buckets / rows);
    this.layout = {
      map,
      from,
      to,
      pageSize,
      pages: BigInt(map.pages),
      buckets,
      rows,
      cols,
      cellW: 0,
      width: 0,
      height: PAD_TOP + rows * (ROW_H + ROW_GAP),
    };
    this.o.axisFrom.textContent = map.from;
    this.o.axisTo.textContent = map.to;
    if (this.o.axisInfo) {
      const bytes = BigInt(map.pages) * pageSize;
      const per = map.pages / buckets;
      const plural = Math.round(per) === 1 ? 'page' : 'pages';
      const perText = Number.isInteger(per) ? `${formatCount(per)} ${plural}` : `≈${formatCount(per)} ${plural}`;
      this.o.axisInfo.textContent = `${formatBigBytes(bytes)} · ${formatCount(map.pages)} pages · ${formatCount(buckets)} buckets of ${perText}`;
    }
    this.draw();
    if (this.hoverBucket !== null) this.refreshTooltip();
  }

  // ---- geometry

  /** First page (from `from`) of bucket i; bucket `buckets` gives `pages`. */
  private bucketStart(l: Layout, i: number): bigint {
    return (BigInt(i) * l.pages) / BigInt(l.buckets);
  }

  private bucketAddr(l: Layout, i: number): bigint {
    return l.from + this.bucketStart(l, i) * l.pageSize;
  }

  /** Position in cells (bucket index plus fraction) of page offset p. */
  private cellPos(l: Layout, p: bigint): number {
    if (p <= 0n) return 0;
    if (p >= l.pages) return l.buckets;
    const B = BigInt(l.buckets);
    // The last bucket whose start is <= p.
    let i = Number(((p + 1n) * B + l.pages - 1n) / l.pages - 1n);
    i = Math.min(l.buckets - 1, Math.max(0, i));
    const s = this.bucketStart(l, i);
    const e = this.bucketStart(l, i + 1);
    return i + (e > s ? Number(p - s) / Number(e - s) : 0);
  }

  /** The bucket under CSS point (x, y) of the canvas, with the fraction across it; null outside. */
  private hit(x: number, y: number, clampToStrip = false): { i: number; frac: number } | null {
    const l = this.layout;
    if (!l || l.cellW <= 0) return null;
    let cx = (x - GUTTER) / l.cellW;
    let row = Math.floor((y - PAD_TOP) / (ROW_H + ROW_GAP));
    if (clampToStrip) {
      row = Math.min(l.rows - 1, Math.max(0, row));
      cx = Math.min(l.cols - 1e-9, Math.max(0, cx));
    } else if (row < 0 || row >= l.rows || cx < 0 || cx >= l.cols) {
      return null;
    }
    const c = Math.floor(cx);
    let i = row * l.cols + c;
    if (i >= l.buckets) {
      if (!clampToStrip) return null;
      i = l.buckets - 1;
      return { i, frac: 0.999999 };
    }
    return { i, frac: cx - c };
  }

  private local(e: PointerEvent): { x: number; y: number } {
    const r = this.o.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  // ---- drawing

  private draw(): void {
    const l = this.layout;
    const canvas = this.o.canvas;
    const dpr = window.devicePixelRatio || 1;
    const cssW = canvas.clientWidth || 800;
    const cssH = l ? l.height : PAD_TOP + ROW_H + ROW_GAP;
    canvas.style.height = `${cssH}px`;
    const w = Math.round(cssW * dpr);
    const h = Math.round(cssH * dpr);
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, w, h);
    if (!l) return;
    l.width = cssW;
    l.cellW = (cssW - GUTTER - 2) / l.cols;
    const m = l.map;
    const gap = l.cellW * dpr >= 6 ? 1 : 0;

    for (let i = 0; i < l.buckets; i++) {
      const row = Math.floor(i / l.cols);
      const c = i - row * l.cols;
      const x0 = Math.round((GUTTER + c * l.cellW) * dpr);
      const x1 = Math.round((GUTTER + (c + 1) * l.cellW) * dpr) - gap;
      const top = Math.round((PAD_TOP + row * (ROW_H + ROW_GAP)) * dpr);
      const hh = Math.round(ROW_H * dpr);
      const parts = [m.busy[i] ?? 0, m.guard[i] ?? 0, m.lazy[i] ?? 0, m.free[i] ?? 0];
      const heights = stackHeights(parts, hh);
      const colours = [COLOURS.busy, COLOURS.guard, COLOURS.lazy, COLOURS.free];
      let y = top + hh;
      for (let k = 0; k < 4; k++) {
        const ph = heights[k] ?? 0;
        if (ph <= 0) continue;
        ctx.fillStyle = colours[k] ?? COLOURS.free;
        ctx.fillRect(x0, y - ph, Math.max(1, x1 - x0), ph);
        y -= ph;
      }
    }

    // The largest free block: a bar under the cells it spans.
    if (m.largest_free && m.largest_free.size > 0) {
      const a = BigInt(m.largest_free.addr);
      const p0 = (a - l.from) / l.pageSize;
      const p1 = p0 + BigInt(m.largest_free.size) / l.pageSize;
      this.spanRects(l, this.cellPos(l, p0), this.cellPos(l, p1), (x, y, width) => {
        ctx.fillStyle = COLOURS.largest;
        ctx.fillRect(Math.round(x * dpr), Math.round((y + ROW_H + 2) * dpr), Math.max(Math.round(2 * dpr), Math.round(width * dpr)), Math.round(4 * dpr));
      });
    }

    // Drag selection, or the hovered bucket.
    const sel = this.drag && this.drag.moved ? [Math.min(this.drag.a, this.drag.b), Math.max(this.drag.a, this.drag.b) + 1] : null;
    if (sel) {
      ctx.fillStyle = COLOURS.selection;
      this.spanRects(l, sel[0] ?? 0, sel[1] ?? 0, (x, y, width) => {
        ctx.fillRect(Math.round(x * dpr), Math.round((y - 2) * dpr), Math.round(width * dpr), Math.round((ROW_H + 4) * dpr));
      });
    } else if (this.hoverBucket !== null && this.hoverBucket < l.buckets) {
      ctx.strokeStyle = COLOURS.hover;
      ctx.lineWidth = Math.max(1, Math.round(dpr));
      this.spanRects(l, this.hoverBucket, this.hoverBucket + 1, (x, y, width) => {
        ctx.strokeRect(Math.round(x * dpr) + 0.5, Math.round((y - 1) * dpr) + 0.5, Math.max(1, Math.round(width * dpr) - 1), Math.round((ROW_H + 2) * dpr));
      });
    }

    // The hovered area, when known.
    const ha = this.hoverArea;
    if (ha && !sel && ha.end > l.from && ha.start < l.to) {
      const p0 = ha.start > l.from ? (ha.start - l.from) / l.pageSize : 0n;
      const p1 = ha.end < l.to ? (ha.end - l.from) / l.pageSize : l.pages;
      ctx.strokeStyle = COLOURS.area;
      ctx.lineWidth = Math.max(2, Math.round(2 * dpr));
      this.spanRects(l, this.cellPos(l, p0), this.cellPos(l, p1), (x, y, width) => {
        ctx.strokeRect(Math.round(x * dpr) + 1, Math.round((y - 2) * dpr) + 1, Math.max(2, Math.round(width * dpr) - 2), Math.round((ROW_H + 4) * dpr) - 2);
      });
    }

    // Row start addresses.
    ctx.fillStyle = COLOURS.label;
    ctx.font = `${11 * dpr}px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace`;
    ctx.textBaseline = 'middle';
    for (let r = 0; r < l.rows; r++) {
      const i = r * l.cols;
      if (i >= l.buckets) break;
      ctx.fillText(hex(this.bucketAddr(l, i)), 2 * dpr, (PAD_TOP + r * (ROW_H + ROW_GAP) + ROW_H / 2) * dpr);
    }
  }

  /** Calls `fn(x, y, width)` (CSS px; y = top of the row) for each row piece of cells [c0, c1). */
  private spanRects(l: Layout, c0: number, c1: number, fn: (x: number, y: number, width: number) => void): void {
    let c = c0;
    while (c < c1 - 1e-9) {
      const row = Math.floor(c / l.cols);
      if (row >= l.rows) break;
      const rowEnd = Math.min(c1, (row + 1) * l.cols);
      const x = GUTTER + (c - row * l.cols) * l.cellW;
      fn(x, PAD_TOP + row * (ROW_H + ROW_GAP), (rowEnd - c) * l.cellW);
      c = rowEnd;
    }
  }

  // ---- pointer

  private pointerDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    const p = this.local(e);
    const h = this.hit(p.x, p.y);
    if (!h) return;
    this.o.canvas.setPointerCapture(e.pointerId);
    this.drag = { pointerId: e.pointerId, startX: p.x, startY: p.y, a: h.i, b: h.i, moved: false };
    e.preventDefault();
  }

  private pointerMove(e: PointerEvent): void {
    const p = this.local(e);
    this.lastClient = { x: e.clientX, y: e.clientY };
    const d = this.drag;
    if (d && d.pointerId === e.pointerId) {
      const h = this.hit(p.x, p.y, true);
      if (h) d.b = h.i;
      if (Math.abs(p.x - d.startX) > DRAG_THRESHOLD_PX || Math.abs(p.y - d.startY) > DRAG_THRESHOLD_PX) d.moved = true;
      this.hideTooltip();
      this.draw();
      return;
    }
    const h = this.hit(p.x, p.y);
    const l = this.layout;
    if (!h || !l) {
      this.setHover(null, null);
      return;
    }
    const s = this.bucketStart(l, h.i);
    const len = this.bucketStart(l, h.i + 1) - s;
    const page = s + BigInt(Math.min(Number(len) - 1, Math.floor(h.frac * Number(len))));
    this.setHover(h.i, page);
  }

  private pointerUp(e: PointerEvent): void {
    const d = this.drag;
    if (!d || d.pointerId !== e.pointerId) return;
    this.drag = null;
    const l = this.layout;
    this.draw();
    if (!l) return;
    const a = d.moved ? Math.min(d.a, d.b) : d.a;
    const b = d.moved ? Math.max(d.a, d.b) : d.a;
    const from = this.bucketAddr(l, a);
    const to = this.bucketAddr(l, b + 1);
    if (from === l.from && to === l.to) return; // already there
    this.setHover(null, null);
    this.o.onZoom(from, to);
  }

  private cancelDrag(): void {
    this.drag = null;
    this.draw();
  }

  // ---- hover and tooltip

  private setHover(bucket: number | null, page: bigint | null): void {
    const changed = bucket !== this.hoverBucket;
    const pageChanged = page !== this.hoverPage;
    this.hoverBucket = bucket;
    this.hoverPage = page;
    if (changed) this.draw();
    if (bucket === null) {
      this.hideTooltip();
      return;
    }
    if (changed || pageChanged) this.refreshTooltip();
    this.placeTooltip();
  }

  private hideTooltip(): void {
    this.tooltip.hide();
    if (this.hoverArea) {
      this.hoverArea = null;
      this.draw();
    }
    if (this.lookupTimer !== null) clearTimeout(this.lookupTimer);
    this.lookupTimer = null;
  }

  private placeTooltip(): void {
    if (this.tooltip.shown) this.tooltip.place(this.lastClient.x, this.lastClient.y);
  }

  private refreshTooltip(): void {
    const l = this.layout;
    const i = this.hoverBucket;
    if (!l || i === null || i >= l.buckets) {
      this.hideTooltip();
      return;
    }
    const m = l.map;
    const s = this.bucketStart(l, i);
    const e = this.bucketStart(l, i + 1);
    const bucket: BucketInfo = {
      start: l.from + s * l.pageSize,
      end: l.from + e * l.pageSize,
      pages: e - s,
      busy: m.busy[i] ?? 0,
      guard: m.guard[i] ?? 0,
      lazy: m.lazy[i] ?? 0,
      free: m.free[i] ?? 0,
    };
    const page = this.hoverPage;
    const addr = page === null ? null : l.from + page * l.pageSize;
    const known = addr === null ? null : this.areas.at(addr);
    if (known !== this.hoverArea) {
      this.hoverArea = known;
      this.draw();
    }
    let area: AreaInfo = null;
    const held = bucket.busy + bucket.guard > 0;
    if (known) {
      area = { kind: 'area', area: known.area };
    } else if (addr !== null && bucket.pages <= AREA_LOOKUP_PAGES) {
      if (!held) area = { kind: 'text', text: bucket.lazy > 0 ? 'lazily freed, reserved until a purge' : 'free' };
      else if (this.areas.isMissing(addr)) area = { kind: 'text', text: 'free or not visible' };
      else {
        area = { kind: 'text', text: `area at ${hex(addr)}: looking up…` };
        this.scheduleLookup(addr);
      }
    } else if (held) {
      area = { kind: 'text', text: 'zoom in to see its areas' };
    }
    this.tooltip.show(bucket, area, this.lastClient.x, this.lastClient.y);
  }

  private scheduleLookup(addr: bigint): void {
    if (this.lookupTimer !== null) clearTimeout(this.lookupTimer);
    this.lookupTimer = setTimeout(() => {
      this.lookupTimer = null;
      this.o.lookupArea(hex(addr)).then(
        (area) => {
          this.areas.record(addr, area);
          this.refreshIfStillAt(addr);
        },
        (err: unknown) => this.tooltip.setAreaText(`area: ${err instanceof Error ? err.message : String(err)}`),
      );
    }, LOOKUP_DELAY_MS);
  }

  private refreshIfStillAt(addr: bigint): void {
    const l = this.layout;
    if (!l || this.hoverPage === null) return;
    if (l.from + this.hoverPage * l.pageSize === addr) this.refreshTooltip();
  }
}

/** Device-pixel heights of the stacked parts in a column of `total` px: proportional, a non-empty part at least 1 px. */
export function stackHeights(parts: number[], total: number): number[] {
  const sum = parts.reduce((a, b) => a + b, 0);
  if (sum <= 0) return parts.map(() => 0);
  const h = parts.map((v) => (v > 0 ? Math.max(1, Math.round((v / sum) * total)) : 0));
  // Give the rounding error to (or take it from) the largest part.
  const diff = total - h.reduce((a, b) => a + b, 0);
  let big = 0;
  for (let k = 1; k < h.length; k++) if ((h[k] ?? 0) > (h[big] ?? 0)) big = k;
  h[big] = Math.max(1, (h[big] ?? 0) + diff);
  return h;
}
