/** A seeded generator (an LCG), so a failing case can be made again from its seed. */
export function seeded(seed: number) {
  let s = seed;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  return { next, pick };
}
