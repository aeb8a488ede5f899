// "Did you mean …?" for misspelt field names, check names, targets and enum values.

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  if (m === 0) return n;
  if (n === 0) return m;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => {
    const row = new Array<number>(n + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= n; j++) d[0][j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[m][n];
}

/** The candidate closest to `word`, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const d = editDistance(w, c.toLowerCase());
    const longest = Math.max(w.length, c.length);
    const limit = Math.max(1, Math.floor(longest / 3));
    if (d <= limit && d < longest && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * `closest` with a budget of comparisons for one runbook: a generated runbook with thousands
 * of broken references would otherwise compare each with every name (hours for 50,000). The
 * first problems, which are the ones printed, get their suggestions.
 */
export class Suggester {
  private left: number;
  constructor(comparisons = 200_000) {
    this.left = comparisons;
  }

  closest(word: string, candidates: readonly string[]): string | undefined {
    if (this.left < candidates.length) return undefined;
    this.left -= candidates.length;
    return closest(word, candidates);
  }
}

/** ` — did you mean "x"?` or '' when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` — did you mean "${c}"?`;
}
