import { QuotaExceeded } from './errors.js';
import { PAGE_SIZE } from '../vmap/page.js';
import type { Usage } from './owner-index.js';

/** Per-owner limits on busy reserved bytes and areas (0: no limit). */
export class Quotas {
  constructor(
    readonly bytes: number,
    readonly areas: number,
  ) {}

  /**
   * Checks that `owner`, holding `usage`, may take one more area of `pages` pages.
   *
   * @throws QuotaExceeded naming the quota (`quota-areas`, `quota-bytes`)
   */
  check(owner: string, usage: Usage, pages: number): void {
    if (this.areas > 0 && usage.areas + 1 > this.areas) {
      throw new QuotaExceeded('quota-areas', `${owner} already holds ${usage.areas} of its ${this.areas} areas`);
    }
    const bytes = pages * PAGE_SIZE;
    if (this.bytes > 0 && usage.bytes + bytes > this.bytes) {
      throw new QuotaExceeded('quota-bytes', `${owner} holds ${usage.bytes} bytes; ${bytes} more would pass its ${this.bytes}`);
    }
  }
}
