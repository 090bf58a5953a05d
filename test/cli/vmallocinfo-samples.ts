/**
 * Dumps for the vmallocinfo tests: the real one in test/fixtures, and a small
 * hand-written one with every kind of line and field the kernel prints.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../helpers/server.js';

/** Path of the real dump (see test/fixtures/vmallocinfo/README.md). */
export const REAL_DUMP = join(projectRoot(), 'test', 'fixtures', 'vmallocinfo', 'linux-6.18.44-fc-x86_64-vm.txt');

/** The real dump's totals, as counted from the file itself. */
export const REAL_TOTALS = { entries: 3085, reservedBytes: 70062080, lazyEntries: 2881, lazyBytes: 58966016 } as const;

/** The real dump's text. */
export function realDump(): string {
  return readFileSync(REAL_DUMP, 'utf8');
}

/**
 * Every line kind: vm_struct lines with each flag word, pages=, phys=, NUMA
 * counts, a module's symbol, a bare caller address and no caller at all;
 * hashed and real addresses; vm_map_ram; unpurged vm_area, one of them a
 * single page.
 */
export const EVERY_KIND = [
  '0xffffc90000000000-0xffffc90000005000   20480 irq_init_percpu_irqstack+0xed/0x120 vmap',
  '0xffffc90000005000-0xffffc90000007000    8192 acpi_os_map_iomem+0x1bc/0x1e0 phys=0x00000000000a0000 ioremap',
  '0x00000000a1b2c3d4-0x00000000e5f60718   20480 kernel_clone+0xb8/0x400 pages=4 vmalloc N0=4',
  '0xffffc90000010000-0xffffc90000019000   36864 e1000_probe+0x2a1/0x1100 [e1000e] pages=8 vmalloc vpages N0=5 N1=3',
  '0xffffc90000020000-0xffffc90000023000   12288 dma_common_contiguous_remap+0x5d/0x90 pages=2 vmap user dma-coherent',
  '0xffffc90000030000-0xffffc90000032000    8192 bpf_arena_alloc_pages+0x10/0x50 sparse',
  '0xffffc90000040000-0xffffc90000042000    8192 0xffffffffc0a01234 pages=1 vmalloc',
  '0xffffc90000050000-0xffffc90000052000    8192 pages=1 vmalloc',
  '0xffffc90000060000-0xffffc90000070000   65536 vm_map_ram',
  '0x00000000deadbeef-0x0000000012345678   20480 unpurged vm_area',
  '0xffffc90000080000-0xffffc90000081000    4096 unpurged vm_area',
  '',
].join('\n');

/** EVERY_KIND's totals. */
export const EVERY_KIND_TOTALS = { entries: 11, reservedBytes: 212992, lazyEntries: 2, lazyBytes: 24576 } as const;
