import type { MemInfo } from '../vmap/meminfo.js';

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

/** The wire fields of `m` as of snapshot `generation`. */
export function memInfoFields(m: MemInfo, generation: number): MemInfoFields {
  return {
    // As the kernel prints it: VMALLOC_TOTAL >> 10, rounded down (it is one byte short of whole pages).
    vmalloc_total_kb: Math.floor(m.total / 1024),
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
  return (
    line('VmallocTotal:', Math.floor(m.total / 1024), ' kB') +
    line('VmallocUsed:', m.used / 1024, ' kB') +
    line('VmallocChunk:', m.chunk / 1024, ' kB') +
    line('VmallocLazy:', m.lazy / 1024, ' kB') +
    line('VmallocAreas:', m.nrAreas, '') +
    line('VmallocLazyAreas:', m.nrLazyAreas, '')
  );
}

/** `m` as the JSON body of `/meminfo?format=json`. */
export function renderMeminfoJson(m: MemInfo, generation: number): string {
  return JSON.stringify(memInfoFields(m, generation));
}
