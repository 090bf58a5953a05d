/**
 * One copy of each string: callers and owners repeat across many areas, and
 * a million recovered areas should not hold a million copies of each.
 */
export function stringInterner(): (s: string) => string {
  const interned = new Map<string, string>();
  return (s) => {
    const known = interned.get(s);
    if (known !== undefined) return known;
    interned.set(s, s);
    return s;
  };
}
