/**
 * Where the benchmark puts results it does not print, so the optimizer cannot
 * drop the work that made them.
 */

let sink = 0;

/** Adds `x` to the sink. */
export function consume(x: number): void {
  sink += x;
}

/** The sink's value; reading it at the end keeps every consume() observable. */
export function consumed(): number {
  return sink;
}
