/**
 * A Linux `/proc/vmallocinfo` dump, read back: the kernel's format as
 * mm/vmalloc.c's vmalloc_info_show() (s_show() before 6.9), show_numa_info()
 * and show_purge_info() print it. Three kinds of line:
 *
 *   0x…-0x… SIZE [CALLER] [pages=N] [phys=0x…] [ioremap] [sparse] [vmalloc]
 *       [vmap] [user] [dma-coherent] [vpages] [N0=n N1=n …]   a vm_struct
 *   0x…-0x… SIZE vm_map_ram                                  a vm_map_ram() range
 *   0x…-0x… SIZE unpurged vm_area                            a lazily freed range
 *
 * SIZE is what the kernel reserved: a vm_struct's `v->size`, guard page
 * included; for the other two, `va_end - va_start` of the vmap_area. The
 * addresses are `%pK`: hashed (or zero) unless the reader may see kernel
 * pointers, so SIZE, not end − start, is what counts. CALLER is `%pS`:
 * `symbol+0xoff/0xlen`, then ` [module]` for a module's symbol, or a bare
 * address when there is no symbol; absent when the area has no caller.
 *
 * vmapd's own /vmallocinfo (src/service/area-view.ts) prints the same
 * lines plus `owner=NAME`, so a dump of one vmapd replays into another.
 */
import { PAGE_SIZE } from '../vmap/page.js';

/** What a line describes. */
export type DumpEntryKind = 'vm_struct' | 'vm_map_ram' | 'unpurged';

/** The flag words a vm_struct line can carry, in the order the kernel prints them. */
export const VM_FLAG_WORDS: readonly string[] = ['ioremap', 'sparse', 'vmalloc', 'vmap', 'user', 'dma-coherent', 'vpages'];

/** One line of the dump. */
export interface DumpEntry {
  /** 1-based line number in the dump. */
  readonly line: number;
  readonly kind: DumpEntryKind;
  /** Start address as printed (possibly hashed). */
  readonly start: bigint;
  /** End address as printed (possibly hashed). */
  readonly end: bigint;
  /** Reserved bytes, as printed: guard page included where the area has one. */
  readonly size: number;
  /** Whether end − start disagrees with the size: the addresses are hashed or hidden (`%pK`). */
  readonly hashed: boolean;
  /** The `%pS` caller (with its ` [module]`), '' when none is printed. */
  readonly caller: string;
  /** The flag words of a vm_struct line (`vmalloc`, `ioremap`, …). */
  readonly flags: readonly string[];
  /** `pages=`: pages the area's memory is made of; undefined when not printed. */
  readonly pages?: number;
  /** `phys=`: the physical address an ioremap maps; undefined when not printed. */
  readonly phys?: bigint;
  /** `owner=`: who holds the area, in a dump of vmapd's own /vmallocinfo; undefined in the kernel's. */
  readonly owner?: string;
  /** `N<node>=<pages>`: the area's pages per NUMA node. */
  readonly numa: Readonly<Record<number, number>>;
  /** An `unpurged vm_area`: freed, awaiting the lazy purge. */
  readonly lazy: boolean;
  /**
   * Whether the size includes a guard page: a vm_struct or a lazily freed one
   * larger than a page. vm_map_ram() areas never have one (the kernel
   * allocates them with alloc_vmap_area() of exactly the pages mapped).
   */
  readonly guard: boolean;
}

/** A whole dump: its entries in file order and their totals. */
export interface VmallocinfoDump {
  readonly entries: readonly DumpEntry[];
  /** Every entry, lazy ones included. */
  readonly nrEntries: number;
  /** Sum of every entry's size. */
  readonly reservedBytes: number;
  readonly nrLazy: number;
  /** Sum of the `unpurged vm_area` entries' sizes. */
  readonly lazyBytes: number;
  /** Whether any entry's addresses are hashed. */
  readonly hashed: boolean;
  /**
   * Entries whose printed range already appeared on an earlier line. The file
   * is not one atomic read: an area freed while it is read shows up busy and
   * then again as `unpurged vm_area`, and is counted twice.
   */
  readonly repeatedRanges: number;
}

/** A line of a dump that cannot be read. */
export class DumpLineError extends Error {
  /** 1-based line number. */
  readonly line: number;
  /** The line as it is in the dump. */
  readonly text: string;

  constructor(line: number, text: string, reason: string) {
    super(`line ${line}: ${reason}: ${JSON.stringify(text)}`);
    this.name = 'DumpLineError';
    this.line = line;
    this.text = text;
  }
}

const LINE = /^0x([0-9a-fA-F]{1,16})-0x([0-9a-fA-F]{1,16})\s+([0-9]+)(?:\s+(.*?))?\s*$/;
const NUMA = /^N([0-9]+)=([0-9]+)$/;
const FLAGS = new Set(VM_FLAG_WORDS);

/** Parses the size column: positive, whole pages, exact as a number. */
function sizeOf(text: string, fail: (reason: string) => never): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) fail(`size ${text} is not a positive byte count`);
  if (n % PAGE_SIZE !== 0) fail(`size ${text} is not a multiple of ${PAGE_SIZE}`);
  return n;
}

/** A decimal count of `pages=` or `N<n>=`. */
function count(text: string, what: string, fail: (reason: string) => never): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n)) fail(`${what} ${text} is not a count`);
  return n;
}

/** Whether `token` is one the kernel prints after the caller: a flag word or a key=value. */
function isAttribute(token: string): boolean {
  return FLAGS.has(token) || token.startsWith('pages=') || token.startsWith('phys=') || token.startsWith('owner=') || NUMA.test(token);
}

interface VmStructFields {
  caller: string;
  flags: string[];
  pages?: number;
  phys?: bigint;
  owner?: string;
  numa: Record<number, number>;
}

/** The fields after the size of a vm_struct line. */
function vmStructFields(rest: string, fail: (reason: string) => never): VmStructFields {
  const tokens = rest.split(/\s+/);
  const out: VmStructFields = { caller: '', flags: [], numa: {} };
  let i = 0;
  if (tokens[0] !== undefined && !isAttribute(tokens[0])) {
    out.caller = tokens[0];
    i = 1;
    // %pS of a module's symbol: `name+0x…/0x… [module]`.
    const next = tokens[1];
    if (next !== undefined && /^\[[^\]\s]+\]$/.test(next)) {
      out.caller += ` ${next}`;
      i = 2;
    }
  }
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    const numa = NUMA.exec(t);
    if (FLAGS.has(t)) {
      if (out.flags.includes(t)) fail(`flag ${t} given twice`);
      out.flags.push(t);
    } else if (t.startsWith('pages=')) {
      if (out.pages !== undefined) fail('pages= given twice');
      out.pages = count(t.slice(6), 'pages=', fail);
    } else if (t.startsWith('phys=')) {
      if (out.phys !== undefined) fail('phys= given twice');
      if (!/^0x[0-9a-fA-F]{1,16}$/.test(t.slice(5))) fail(`${t} is not a physical address`);
      out.phys = BigInt(t.slice(5));
    } else if (t.startsWith('owner=')) {
      if (out.owner !== undefined) fail('owner= given twice');
      out.owner = t.slice(6);
    } else if (numa !== null) {
      const node = count(numa[1]!, 'NUMA node', fail);
      if (out.numa[node] !== undefined) fail(`N${node}= given twice`);
      out.numa[node] = count(numa[2]!, `N${node}=`, fail);
    } else {
      fail(`unknown field ${JSON.stringify(t)}`);
    }
  }
  return out;
}

/** Reads one non-blank line. @throws DumpLineError */
export function parseDumpLine(text: string, line: number): DumpEntry {
  const fail = (reason: string): never => {
    throw new DumpLineError(line, text, reason);
  };
  const m = LINE.exec(text.trim());
  if (m === null) return fail('not a vmallocinfo line (0x…-0x… size …)');
  const start = BigInt(`0x${m[1]!}`);
  const end = BigInt(`0x${m[2]!}`);
  const size = sizeOf(m[3]!, fail);
  const rest = m[4] ?? '';
  const base = { line, start, end, size, hashed: end - start !== BigInt(size), numa: {}, flags: [] as string[] };
  if (rest === 'unpurged vm_area') return { ...base, kind: 'unpurged', caller: '', lazy: true, guard: size > PAGE_SIZE };
  if (rest === 'vm_map_ram') return { ...base, kind: 'vm_map_ram', caller: '', lazy: false, guard: false };
  const f = vmStructFields(rest, fail);
  return {
    ...base,
    kind: 'vm_struct',
    caller: f.caller,
    flags: f.flags,
    ...(f.pages === undefined ? {} : { pages: f.pages }),
    ...(f.phys === undefined ? {} : { phys: f.phys }),
    ...(f.owner === undefined ? {} : { owner: f.owner }),
    numa: f.numa,
    lazy: false,
    guard: size > PAGE_SIZE,
  };
}

/**
 * Reads a whole dump; blank lines are skipped.
 *
 * @throws DumpLineError at the first line that cannot be read
 */
export function parseVmallocinfo(text: string): VmallocinfoDump {
  const entries: DumpEntry[] = [];
  const seen = new Set<string>();
  let reservedBytes = 0;
  let lazyBytes = 0;
  let nrLazy = 0;
  let hashed = false;
  let repeatedRanges = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const e = parseDumpLine(raw, i + 1);
    entries.push(e);
    reservedBytes += e.size;
    if (e.lazy) {
      nrLazy++;
      lazyBytes += e.size;
    }
    hashed ||= e.hashed;
    const range = `${e.start}-${e.end}`;
    // kptr_restrict=2 prints every address as zero: no range to compare.
    if (e.start === 0n && e.end === 0n) continue;
    if (seen.has(range)) repeatedRanges++;
    else seen.add(range);
  }
  return { entries, nrEntries: entries.length, reservedBytes, nrLazy, lazyBytes, hashed, repeatedRanges };
}
