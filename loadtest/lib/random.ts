/**
 * The one seeded PRNG of the load scripts and the allocator benchmark:
 * pure-rand's xoroshiro128+, so the same seed makes the same workload run
 * after run, and every script draws from the same generator.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { skipN } from 'pure-rand/utils/skipN';

/**
 * Outputs dropped after seeding: xoroshiro128+ seeded with `s` first outputs
 * `~s`, so neighbouring seeds (a benchmark's seed + N, a writer's seed + its
 * index) would otherwise start out alike.
 */
const WARM_UP = 16;

/** A seeded random stream (32-bit seed; higher bits are ignored). */
export class SeededRandom {
  private readonly gen: RandomGenerator;

  constructor(seed: number) {
    this.gen = xoroshiro128plus(seed);
    skipN(this.gen, WARM_UP);
  }

  /** Uniform integer in [0, n), 1 <= n <= 2^32. */
  below(n: number): number {
    return uniformInt(this.gen, 0, n - 1);
  }

  /** Uniform double in [0, 1). */
  float(): number {
    return uniformFloat64(this.gen);
  }
}
