/**
 * vmapd's page: the map of the address space (zoomable), the numbers over
 * time from /v1/events, the fragmentation of the range shown, and a status
 * line. See index.html for the elements.
 *
 * `window.vmapdPage`, for tests and the console (live values, read-only
 * except zoom):
 *   state       'loading' (also while vmapd cannot be reached and the page
 *               reconnects) | 'live' (a map rendered and the stream open) |
 *               'needs-token' (the token prompt is showing) | 'error' (the
 *               last map request was answered with an error; #status has
 *               its message)
 *   map         the last /v1/map reply rendered, as received (null before)
 *   mapRenders  how many times the map was rendered
 *   samples     the charts' samples, oldest first
 *   lastEventAt performance.now() when the last sample was rendered (null before)
 *   zoom(from, to)  zoom to [from, to) (0x hex strings) as a drag does;
 *               resolves once that range's map is rendered
 */
import 'uplot/dist/uPlot.min.css';
import '../styles.css';
import { ApiError, getArea, getMap, type MapReply, type Sample } from './api.js';
import { Charts } from './chart.js';
import { runEvents } from './events.js';
import { hex, parseAddress } from './format.js';
import { renderFragmentation } from './fragmentation.js';
import { MapView } from './map-view.js';
import { askForToken, onPromptChange, promptOpen } from './token.js';

export type PageState = 'loading' | 'live' | 'needs-token' | 'error';

export interface VmapdPage {
  readonly state: PageState;
  readonly map: MapReply | null;
  readonly mapRenders: number;
  readonly samples: readonly Sample[];
  readonly lastEventAt: number | null;
  zoom(from: string, to: string): Promise<void>;
}

declare global {
  interface Window {
    vmapdPage: VmapdPage;
  }
}

function byId<T extends HTMLElement>(id: string, kind: { new (): T }): T {
  const e = document.getElementById(id);
  if (!(e instanceof kind)) throw new Error(`the page lacks #${id}`);
  return e;
}

/** A range of the space; null ends: the whole space. */
interface Range {
  from: string | null;
  to: string | null;
}

const REFRESH_MIN_MS = 1000;
/** The most buckets /v1/map gives. */
const MAX_BUCKETS = 4096;

class Page {
  state: PageState = 'loading';
  map: MapReply | null = null;
  mapRenders = 0;

  private readonly statusEl = byId('status', HTMLElement);
  private readonly generationEl = byId('generation', HTMLElement);
  private readonly fragEl = byId('fragmentation', HTMLElement);
  private readonly zoomOut = byId('zoom-out', HTMLButtonElement);
  private readonly view: MapView;
  readonly charts: Charts;

  private range: Range = { from: null, to: null };
  private stack: Range[] = [];
  private seq = 0;
  private inFlight: Promise<void> | null = null;
  private lastFetchAt = -Infinity;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private resizeTimer: ReturnType<typeof setTimeout> | null = null;
  private mapError: string | null = null;
  /** The last map request got no answer at all (vmapd down or restarting). */
  private mapUnreachable = false;
  private events: 'connecting' | 'live' | 'reconnecting' = 'connecting';
  private eventsWhy = '';
  private latestGeneration = -1;

  constructor() {
    this.view = new MapView({
      canvas: byId('map', HTMLCanvasElement),
      tooltip: byId('tooltip', HTMLElement),
      axisFrom: byId('axis-from', HTMLElement),
      axisTo: byId('axis-to', HTMLElement),
      axisInfo: document.getElementById('axis-info'),
      onZoom: (from, to) => void this.zoomTo(from, to).catch(() => undefined),
      lookupArea: (addr) => getArea(addr),
      onCapacityChange: () => {
        if (this.resizeTimer !== null) clearTimeout(this.resizeTimer);
        this.resizeTimer = setTimeout(() => void this.fetchMap().catch(() => undefined), 200);
      },
    });
    this.charts = new Charts(byId('charts', HTMLElement), byId('now', HTMLElement));
    this.zoomOut.addEventListener('click', () => this.back());
    byId('zoom-reset', HTMLButtonElement).addEventListener('click', () => this.reset());
    byId('zoom-used', HTMLButtonElement).addEventListener('click', () => this.zoomToUsed());
    byId('token-open', HTMLButtonElement).addEventListener('click', () => this.askToken('A token shows what its owner may see.'));
    onPromptChange(() => this.updateStatus());
    // A hidden tab does not fetch the map; it catches up when shown again.
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && this.map && this.map.generation !== this.latestGeneration) this.sawGeneration(this.latestGeneration);
    });
    this.updateButtons();
    this.updateStatus();
  }

  start(): void {
    void this.fetchMap().catch(() => undefined);
    const ac = new AbortController();
    void runEvents(
      {
        onHistory: (samples) => {
          this.charts.addHistory(samples);
          const last = samples[samples.length - 1];
          if (last) this.sawGeneration(last.generation);
        },
        onSample: (s) => {
          this.charts.add(s);
          this.sawGeneration(s.generation);
        },
        onStatus: (status, why) => {
          this.events = status;
          this.eventsWhy = why ?? '';
          this.updateStatus();
        },
      },
      ac.signal,
    );
  }

  // ---- zoom

  /** Zoom to [from, to) given as strings (window.vmapdPage.zoom). */
  zoom(from: string, to: string): Promise<void> {
    const f = parseAddress(from);
    const t = parseAddress(to);
    if (f === null || t === null) return Promise.reject(new Error(`not an address range: ${from} – ${to}`));
    return this.zoomTo(f, t);
  }

  /** The one path of every zoom: drag, click and zoom(). */
  zoomTo(from: bigint, to: bigint): Promise<void> {
    const page = BigInt(this.map?.space.page_size ?? 4096);
    let f = (from / page) * page;
    let t = ((to + page - 1n) / page) * page;
    if (this.map) {
      const base = BigInt(this.map.space.base);
      const end = BigInt(this.map.space.end);
      if (f < base) f = base;
      if (t > end) t = end;
    }
    if (t <= f) t = f + page;
    const next = { from: hex(f), to: hex(t) };
    if (next.from === this.range.from && next.to === this.range.to) return Promise.resolve();
    this.stack.push(this.range);
    this.range = next;
    this.updateButtons();
    return this.fetchMap();
  }

  /** Zoom to the buckets from the first to the last that holds an area (busy or lazy). */
  private zoomToUsed(): void {
    const m = this.map;
    if (!m) return;
    const held = (i: number): boolean => (m.busy[i] ?? 0) + (m.guard[i] ?? 0) + (m.lazy[i] ?? 0) > 0;
    let first = 0;
    while (first < m.buckets && !held(first)) first++;
    if (first === m.buckets) return;
    let last = m.buckets - 1;
    while (last > first && !held(last)) last--;
    const from = BigInt(m.from);
    const page = BigInt(m.space.page_size);
    const at = (i: number): bigint => from + ((BigInt(i) * BigInt(m.pages)) / BigInt(m.buckets)) * page;
    void this.zoomTo(at(first), at(last + 1)).catch(() => undefined);
  }

  private back(): void {
    const prev = this.stack.pop();
    if (!prev) return;
    this.range = prev;
    this.updateButtons();
    void this.fetchMap().catch(() => undefined);
  }

  private reset(): void {
    if (this.stack.length === 0 && this.range.from === null) return;
    this.stack = [];
    this.range = { from: null, to: null };
    this.updateButtons();
    void this.fetchMap().catch(() => undefined);
  }

  private updateButtons(): void {
    this.zoomOut.disabled = this.stack.length === 0;
  }

  // ---- the map

  /**
   * Fetches and renders the map of the current range. Replies to a range
   * no longer current are dropped; resolves once the current range is
   * rendered (or a newer request took over).
   */
  fetchMap(): Promise<void> {
    const seq = ++this.seq;
    const range = this.range;
    this.lastFetchAt = performance.now();
    if (this.refreshTimer !== null) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = null;
    }
    const p = getMap(range.from, range.to, this.bucketsFor(range)).then(
      (map) => {
        if (seq !== this.seq) return;
        this.mapError = null;
        this.mapUnreachable = false;
        // Keep the range as the server aligned it (whole space stays null).
        if (range.from !== null) this.range = { from: map.from, to: map.to };
        this.render(map);
      },
      (e: unknown) => {
        if (seq !== this.seq) return;
        this.mapError = e instanceof ApiError || e instanceof Error ? e.message : String(e);
        this.mapUnreachable = e instanceof ApiError && e.code === 'unreachable';
        this.updateStatus();
        throw e;
      },
    );
    const tracked = p.finally(() => {
      if (this.inFlight === tracked) this.inFlight = null;
    });
    this.inFlight = tracked.catch(() => undefined);
    return p;
  }

  /**
   * Buckets to ask for: what the strip holds, or one per page when the range
   * has not many more pages than that (a bucket of one page or two would
   * blur single pages).
   */
  private bucketsFor(range: Range): number {
    const cap = this.view.capacity();
    if (range.from === null || range.to === null) return cap;
    const pages = (BigInt(range.to) - BigInt(range.from)) / BigInt(this.map?.space.page_size ?? 4096);
    return pages <= BigInt(Math.min(MAX_BUCKETS, 2 * cap)) ? Math.max(1, Number(pages)) : cap;
  }

  private render(map: MapReply): void {
    this.map = map;
    this.view.render(map);
    this.mapRenders++;
    renderFragmentation(this.fragEl, map, () => this.askToken('A token shows the callers and owners of the areas it may see.'));
    this.generationEl.textContent = `generation ${map.generation}`;
    this.updateStatus();
  }

  /** Opens the token prompt at the viewer's wish; the map is fetched again with what it gives. */
  private askToken(message: string): void {
    void askForToken(message, false).then(() => this.fetchMap().catch(() => undefined));
  }

  /** A sample of generation g arrived: the map is fetched again if it is older, at most once a second. */
  private sawGeneration(g: number): void {
    this.latestGeneration = g;
    if (!this.map || this.refreshTimer !== null || document.hidden) return;
    // A failed map request is tried again with the next sample, even of the same generation.
    if (this.map.generation === g && this.mapError === null) return;
    const wait = Math.max(0, this.lastFetchAt + REFRESH_MIN_MS + 10 - performance.now());
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      const go = (): void => {
        if (this.map && this.map.generation === this.latestGeneration && this.mapError === null) return;
        void this.fetchMap().catch(() => undefined);
      };
      // One request at a time: a slow reply is not overtaken by refreshes.
      if (this.inFlight) void this.inFlight.then(go);
      else go();
    }, wait);
  }

  // ---- status

  private updateStatus(): void {
    let text: string;
    if (promptOpen()) {
      this.state = 'needs-token';
      text = 'needs a token';
    } else if (this.mapError !== null && !this.mapUnreachable) {
      this.state = 'error';
      text = `error: ${this.mapError}`;
    } else if (this.map && this.events === 'live' && !this.mapUnreachable) {
      this.state = 'live';
      text = 'live';
    } else {
      this.state = 'loading';
      const why = this.mapUnreachable ? this.mapError : this.eventsWhy;
      text = this.events === 'reconnecting' || this.mapUnreachable ? `reconnecting…${why ? ` (${why})` : ''}` : 'loading…';
    }
    this.statusEl.textContent = text;
    this.statusEl.dataset.state = this.state;
  }
}

const page = new Page();
window.vmapdPage = {
  get state() {
    return page.state;
  },
  get map() {
    return page.map;
  },
  get mapRenders() {
    return page.mapRenders;
  },
  get samples() {
    return page.charts.samples;
  },
  get lastEventAt() {
    return page.charts.lastRenderAt;
  },
  zoom: (from, to) => page.zoom(from, to),
};
page.start();
