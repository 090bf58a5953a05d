/**
 * The kernel cases' backend over gRPC, through the client library (one
 * attempt per call, no retries): vmalloc() is one unary Alloc (the
 * guard page, the whole space), vfree() one Free, each within the client's
 * deadline. Any
 * failed Alloc reads as NULL, as any failure of vmalloc does, and is counted
 * by its status; a failed Free is counted and otherwise ignored (vfree
 * returns nothing). Once `stopAt` passes, Alloc answers NULL without a call,
 * so every case takes its own error path and frees what it holds: a run
 * bounded in time ends with the space as it found it.
 */
import { performance } from 'node:perf_hooks';
import { PAGE_SHIFT, PAGE_SIZE } from '../../src/vmap/page.js';
import type { VmapClient } from '../../src/client/index.js';
import { statusName } from '../lib/grpc.js';
import type { AsyncBackend } from './backend.js';

/** What a gRPC backend was told and what it saw. */
export interface GrpcBackendState {
  /** performance.now() ms after which Alloc answers NULL; Infinity for none. */
  readonly stopAt: number;
  /** Shown in vmallocinfo. */
  readonly caller: string;
  /** Failed calls by method and status name ("Alloc RESOURCE_EXHAUSTED"). */
  readonly errors: Record<string, number>;
  /** Whether an Alloc was refused because stopAt had passed. */
  stopped: boolean;
}

const SHIFT = BigInt(PAGE_SHIFT);

function count(errors: Record<string, number>, key: string): void {
  errors[key] = (errors[key] ?? 0) + 1;
}

/** `client` as the kernel cases' backend, reporting into `state`. */
export function grpcBackend(client: VmapClient, state: GrpcBackendState): AsyncBackend {
  return {
    sync: false,
    async alloc(pages: number, align: number): Promise<number | null> {
      if (performance.now() >= state.stopAt) {
        state.stopped = true;
        return null;
      }
      try {
        // align up to 2^63 is exact as a double; as a BigInt it goes on the wire whole.
        const area = await client.alloc(pages * PAGE_SIZE, { align: BigInt(align), caller: state.caller });
        if ((area.addr & BigInt(PAGE_SIZE - 1)) !== 0n) throw new Error(`Alloc answered ${area.addr}, not a page boundary`);
        return Number(area.addr >> SHIFT);
      } catch (err) {
        count(state.errors, `Alloc ${statusName(err)}`);
        return null;
      }
    },
    async free(page: number): Promise<void> {
      try {
        await client.free(BigInt(page) << SHIFT);
      } catch (err) {
        count(state.errors, `Free ${statusName(err)}`);
      }
    },
  };
}
