import type { MemInfo } from '../vmap/meminfo.js';
import { PAGE_SIZE } from '../vmap/page.js';

/** The MemInfo message of the wire contract: kB and counts, snake_case. */
export interface MemInfoFields {
  readonly vmalloc_total_kb: number;
  readonly vmalloc_used_kb: number;
  readonly vmalloc_chunk_kb: number;
  readonly vmalloc_lazy_kb: number;
  readonly nr_areas: number;
  readonly nr_lazy_areas: number;
  readonly generation: number;
}

/**
 * VMALLOC_TOTAL, `VMALLOC_END - VMALLOC_START`, of which /proc/meminfo prints `>> 10` as VmallocTotal.
 * The kernel's VMALLOC_END is VMALLOC_START + size - 1 (x86-64:
 * `VMALLOC_START + (VMALLOC_SIZE_TB << 40) - 1`), and an area must end at
 * or below it, so the size's last page is never allocated: `m.total` counts
 * the pages areas may take, and VMALLOC_TOTAL is that plus the last page
 * but its last byte (34359738367 kB for 32 TiB).
 */
export function vmallocTotalBytes(m: MemInfo): number {
  return m.total + PAGE_SIZE - 1;
}

function vmallocTotalKb(m: MemInfo): number {
  return Math.floor(vmallocTotalBytes(m) / 1024);
}

/** The wire fields of `m` as of snapshot `generation`. */
export function memInfoFields(m: MemInfo, generation: number): MemInfoFields {
  return {
    vmalloc_total_kb: vmallocTotalKb(m),
    vmalloc_used_kb: m.used / 1024,
    vmalloc_chunk_kb: m.chunk / 1024,
    vmalloc_lazy_kb: m.lazy / 1024,
    nr_areas: m.nrAreas,
    nr_lazy_areas: m.nrLazyAreas,
    generation,
  };
}

/** One `/proc/meminfo` line: the label padded to 16 columns, the value right-aligned in 8. */
function line(label: string, value: number, unit: string): string {
  return `${label.padEnd(16)}${String(value).padStart(8)}${unit}\n`;
}

/** `m` in the kernel's /proc/meminfo format. */
export function renderMeminfoText(m: MemInfo): string {
  return renderMeminfoFields(memInfoFields(m, 0));
}

/** The wire fields `f` (as a client receives them) in the kernel's /proc/meminfo format: the same text as renderMeminfoText. */
export function renderMeminfoFields(f: Omit<MemInfoFields, 'generation'>): string {
  return (
    line('VmallocTotal:', f.vmalloc_total_kb, ' kB') +
    line('VmallocUsed:', f.vmalloc_used_kb, ' kB') +
    line('VmallocChunk:', f.vmalloc_chunk_kb, ' kB') +
    line('VmallocLazy:', f.vmalloc_lazy_kb, ' kB') +
    line('VmallocAreas:', f.nr_areas, '') +
    line('VmallocLazyAreas:', f.nr_lazy_areas, '')
  );
}

/** `m` as the JSON body of `/meminfo?format=json`. */
export function renderMeminfoJson(m: MemInfo, generation: number): string {
  return JSON.stringify(memInfoFields(m, generation));
}
