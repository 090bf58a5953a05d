/**
 * The /proc/vmallocinfo parser: every line kind and field of the kernel's
 * format, the totals of a real dump, and lines it refuses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DumpLineError, parseDumpLine, parseVmallocinfo } from '../../src/cli/vmallocinfo-dump.js';
import { allocSpecOf } from '../../src/cli/vmallocinfo-replay.js';
import { EVERY_KIND, EVERY_KIND_TOTALS, REAL_TOTALS, realDump } from './vmallocinfo-samples.js';

describe('vmallocinfo dump', () => {
  it('reads every line kind and field to the right entry', () => {
    const d = parseVmallocinfo(EVERY_KIND);
    const brief = d.entries.map((e) => ({ line: e.line, kind: e.kind, size: e.size, caller: e.caller, flags: e.flags, pages: e.pages, numa: e.numa, lazy: e.lazy, guard: e.guard }));
    assert.deepEqual(brief, [
      { line: 1, kind: 'vm_struct', size: 20480, caller: 'irq_init_percpu_irqstack+0xed/0x120', flags: ['vmap'], pages: undefined, numa: {}, lazy: false, guard: true },
      { line: 2, kind: 'vm_struct', size: 8192, caller: 'acpi_os_map_iomem+0x1bc/0x1e0', flags: ['ioremap'], pages: undefined, numa: {}, lazy: false, guard: true },
      { line: 3, kind: 'vm_struct', size: 20480, caller: 'kernel_clone+0xb8/0x400', flags: ['vmalloc'], pages: 4, numa: { 0: 4 }, lazy: false, guard: true },
      { line: 4, kind: 'vm_struct', size: 36864, caller: 'e1000_probe+0x2a1/0x1100 [e1000e]', flags: ['vmalloc', 'vpages'], pages: 8, numa: { 0: 5, 1: 3 }, lazy: false, guard: true },
      { line: 5, kind: 'vm_struct', size: 12288, caller: 'dma_common_contiguous_remap+0x5d/0x90', flags: ['vmap', 'user', 'dma-coherent'], pages: 2, numa: {}, lazy: false, guard: true },
      { line: 6, kind: 'vm_struct', size: 8192, caller: 'bpf_arena_alloc_pages+0x10/0x50', flags: ['sparse'], pages: undefined, numa: {}, lazy: false, guard: true },
      { line: 7, kind: 'vm_struct', size: 8192, caller: '0xffffffffc0a01234', flags: ['vmalloc'], pages: 1, numa: {}, lazy: false, guard: true },
      { line: 8, kind: 'vm_struct', size: 8192, caller: '', flags: ['vmalloc'], pages: 1, numa: {}, lazy: false, guard: true },
      { line: 9, kind: 'vm_map_ram', size: 65536, caller: '', flags: [], pages: undefined, numa: {}, lazy: false, guard: false },
      { line: 10, kind: 'unpurged', size: 20480, caller: '', flags: [], pages: undefined, numa: {}, lazy: true, guard: true },
      { line: 11, kind: 'unpurged', size: 4096, caller: '', flags: [], pages: undefined, numa: {}, lazy: true, guard: false },
    ]);
    assert.equal(d.entries[1]!.phys, 0xa0000n);
    assert.equal(d.entries[0]!.start, 0xffffc90000000000n);
    assert.equal(d.entries[0]!.hashed, false);
    // Hashed (%pK) addresses: end − start says nothing, the size column is what counts.
    assert.equal(d.entries[2]!.start, 0xa1b2c3d4n);
    assert.equal(d.entries[2]!.hashed, true);
    assert.equal(d.entries[9]!.hashed, true);
    assert.deepEqual(
      { entries: d.nrEntries, reservedBytes: d.reservedBytes, lazyEntries: d.nrLazy, lazyBytes: d.lazyBytes, hashed: d.hashed, repeated: d.repeatedRanges },
      { ...EVERY_KIND_TOTALS, hashed: true, repeated: 0 },
    );
  });

  it('turns each entry into the allocation that reserves its size', () => {
    const d = parseVmallocinfo(EVERY_KIND);
    const asked = d.entries.map((e) => {
      const r = allocSpecOf(e);
      return [r.size, r.noGuard, r.caller];
    });
    assert.deepEqual(asked, [
      [16384, false, 'irq_init_percpu_irqstack+0xed/0x120'],
      [4096, false, 'acpi_os_map_iomem+0x1bc/0x1e0'],
      [16384, false, 'kernel_clone+0xb8/0x400'],
      [32768, false, 'e1000_probe+0x2a1/0x1100 [e1000e]'],
      [8192, false, 'dma_common_contiguous_remap+0x5d/0x90'],
      [4096, false, 'bpf_arena_alloc_pages+0x10/0x50'],
      [4096, false, '0xffffffffc0a01234'],
      [4096, false, ''],
      [65536, true, 'vm_map_ram'],
      [16384, false, ''],
      [4096, true, ''],
    ]);
  });

  it("reads the real dump: its entry count, reserved and lazy bytes, and the range it lists twice", () => {
    const d = parseVmallocinfo(realDump());
    assert.equal(d.nrEntries, REAL_TOTALS.entries);
    assert.equal(d.reservedBytes, REAL_TOTALS.reservedBytes);
    assert.equal(d.nrLazy, REAL_TOTALS.lazyEntries);
    assert.equal(d.lazyBytes, REAL_TOTALS.lazyBytes);
    assert.equal(d.hashed, true);
    assert.equal(d.repeatedRanges, 1);
    const kinds = new Set(d.entries.map((e) => e.kind));
    assert.deepEqual([...kinds].sort(), ['unpurged', 'vm_struct']);
  });

  it('skips blank lines and takes CRLF, counting lines as the file does', () => {
    const d = parseVmallocinfo('\n0xffffc90000000000-0xffffc90000002000    8192 f+0x1/0x2 vmalloc\r\n\n0x0-0x0    8192 unpurged vm_area\n');
    assert.deepEqual(
      d.entries.map((e) => [e.line, e.kind]),
      [
        [2, 'vm_struct'],
        [4, 'unpurged'],
      ],
    );
  });

  it('refuses a line it cannot read, naming its line number and text', () => {
    const bad: [string, RegExp][] = [
      ['garbage', /not a vmallocinfo line/],
      ['0xffffc90000000000-0xffffc90000002000', /not a vmallocinfo line/],
      ['0xffffc90000000000-0xffffc90000002000    5000 f+0x1/0x2 vmalloc', /size 5000 is not a multiple of 4096/],
      ['0xffffc90000000000-0xffffc90000002000       0 unpurged vm_area', /size 0 is not a positive byte count/],
      ['0xffffc90000000000-0xffffc90000002000    8192 f+0x1/0x2 vmalloc bogus', /unknown field "bogus"/],
      ['0xffffc90000000000-0xffffc90000002000    8192 f+0x1/0x2 pages=x vmalloc', /pages= x is not a count/],
      ['0xffffc90000000000-0xffffc90000002000    8192 f+0x1/0x2 phys=12 ioremap', /phys=12 is not a physical address/],
      ['0xffffc90000000000-0xffffc90000002000    8192 f+0x1/0x2 vmalloc vmalloc', /flag vmalloc given twice/],
      ['0xffffc90000000000-0xffffc90000002000    8192 unpurged vm_areas', /unknown field "vm_areas"/],
    ];
    for (const [text, reason] of bad) {
      const dump = `0xffffc90000000000-0xffffc90000002000    8192 ok+0x0/0x1 vmalloc\n\n${text}\n`;
      assert.throws(
        () => parseVmallocinfo(dump),
        (err: unknown) => {
          assert.ok(err instanceof DumpLineError, String(err));
          assert.equal(err.line, 3);
          assert.equal(err.text, text);
          assert.match(err.message, /^line 3: /);
          assert.match(err.message, reason);
          assert.ok(err.message.endsWith(JSON.stringify(text)), err.message);
          return true;
        },
        text,
      );
    }
  });

  it('reads an empty dump as no entries', () => {
    const d = parseVmallocinfo('\n');
    assert.deepEqual([d.nrEntries, d.reservedBytes, d.nrLazy, d.lazyBytes, d.hashed], [0, 0, 0, 0, false]);
  });

  it("reads vmapd's own /vmallocinfo lines, owner= included", () => {
    const e = parseDumpLine('0xffffc90000000000-0xffffc90000003000   12288 mydriver pages=2 vmalloc owner=alice', 1);
    assert.deepEqual([e.kind, e.caller, e.pages, e.flags, e.owner, e.guard], ['vm_struct', 'mydriver', 2, ['vmalloc'], 'alice', true]);
  });

  it('reads one line on its own', () => {
    const e = parseDumpLine('0xffffc90000000000-0xffffc90000003000   12288 vm_map_ram', 7);
    assert.equal(e.line, 7);
    assert.equal(e.kind, 'vm_map_ram');
    assert.equal(e.guard, false);
  });
});
