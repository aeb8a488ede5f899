// Exact percentiles of every group of latencies at once (overall, each window, each route),
// without sorting or moving the latencies. Two passes over them:
//   1. each latency is counted in a bucket of each of its groups: the bucket is the top 20 bits
//      of the double (sign, exponent, 8 bits of mantissa); for values ≥ 0 the order of those
//      bits is the order of the values, so a bucket holds a narrow range (0.4 % wide). Summing
//      the counts names, for each wanted rank, its bucket and its rank inside the bucket;
//   2. the latencies of those few buckets are copied out and the ranks selected among them.
// The result is the value a full sort would give at that rank. When the values spread over
// too many buckets for the number of groups, this gives up (null) and the caller sorts.
// One pass serves all groupings: the passes are the cost, and a CLI pays for every loop V8
// has to warm up.
import { nearestRank, selectInPlace } from './percentiles.js';

/** Per group: its number of samples, and its value at each percentile (NaN with no samples). */
export interface GroupPercentiles {
  samples: Int32Array;
  values: Float64Array[];
}

/** The latencies and the groups of each: window numbers (≥ 0) and route numbers (-1: none). */
export interface GroupedLatencies {
  latencies: Float64Array; // ≥ 0, never -0
  n: number;
  windowOf: Int32Array;
  windows: number;
  routeOf: Int32Array;
  routes: number;
}

const KEY_SHIFT = 12; // 32 - 12 = 20 bits of the high word
const MAX_BUCKETS = 1 << 16; // a wider spread of values goes to the caller's fallback
const MAX_COUNTERS = 1 << 22; // groups × buckets: 16 MB of counters

/** The high 32-bit word of latency i is at 2i + HI in a Uint32Array over the same bytes. */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Percentiles `ps` of the windows, the routes and overall; null when too spread out. */
export function percentilesByBuckets(
  g: GroupedLatencies,
  ps: readonly number[],
): { windows: GroupPercentiles; routes: GroupPercentiles; overall: GroupPercentiles } | null {
  const { latencies, n } = g;
  const hi = new Uint32Array(latencies.buffer, latencies.byteOffset, 2 * n);
  const range = keyRange(hi, n);
  const kmin = range[0];
  const width = range[1] - kmin + 1;
  if (width > MAX_BUCKETS || (g.windows + g.routes + 1) * width > MAX_COUNTERS) return null;
  const windows = new Int32Array(g.windows * width);
  const routes = new Int32Array(g.routes * width);
  const overall = new Int32Array(width);
  countBuckets(hi, n, kmin, width, g.windowOf, g.routeOf, windows, routes, overall);
  const found = [new RankBuckets(windows, g.windows, width, ps), new RankBuckets(routes, g.routes, width, ps), new RankBuckets(overall, 1, width, ps)];
  pickBuckets(latencies, hi, n, kmin, width, g.windowOf, g.routeOf, found[0], found[1], found[2]);
  const [byWindow, byRoute, all] = found.map((f) => f.percentiles());
  return { windows: byWindow, routes: byRoute, overall: all };
}

// Each pass is a function of its own: a loop runs once per harvest, and V8 optimises a loop
// while it runs; code after it in the same function would then be new to the optimised code.

/** The smallest and largest bucket key. */
function keyRange(hi: Uint32Array, n: number): [number, number] {
  let kmin = n ? 0xfffff : 0;
  let kmax = 0;
  for (let i = HI; i < 2 * n; i += 2) {
    const k = hi[i] >>> KEY_SHIFT;
    if (k < kmin) kmin = k;
    if (k > kmax) kmax = k;
  }
  return [kmin, kmax];
}

/** Pass 1: counts per (group, bucket), for the three groupings at once. */
function countBuckets(hi: Uint32Array, n: number, kmin: number, width: number, windowOf: Int32Array, routeOf: Int32Array, windows: Int32Array, routes: Int32Array, overall: Int32Array): void {
  for (let i = 0; i < n; i++) {
    const k = (hi[2 * i + HI] >>> KEY_SHIFT) - kmin;
    overall[k]++;
    windows[windowOf[i] * width + k]++;
    const r = routeOf[i];
    if (r >= 0) routes[r * width + k]++;
  }
}

/** Pass 2: the latencies in the buckets that hold a wanted rank. */
function pickBuckets(
  latencies: Float64Array,
  hi: Uint32Array,
  n: number,
  kmin: number,
  width: number,
  windowOf: Int32Array,
  routeOf: Int32Array,
  windows: RankBuckets,
  routes: RankBuckets,
  overall: RankBuckets,
): void {
  const w = windows.slotMarks;
  const r = routes.slotMarks;
  const o = overall.slotMarks;
  for (let i = 0; i < n; i++) {
    const k = (hi[2 * i + HI] >>> KEY_SHIFT) - kmin;
    const v = latencies[i];
    if (o[k] !== 0) overall.take(o[k], v);
    const sw = w[windowOf[i] * width + k];
    if (sw !== 0) windows.take(sw, v);
    const route = routeOf[i];
    if (route >= 0) {
      const sr = r[route * width + k];
      if (sr !== 0) routes.take(sr, v);
    }
  }
}

/** For one grouping: which bucket holds each wanted rank, and the latencies of those buckets. */
class RankBuckets {
  readonly samples: Int32Array;
  /** slot + 1 per (group, bucket) that holds a wanted rank, else 0: what pass 2 looks up. */
  readonly slotMarks: Int32Array;
  private readonly wanted: { slot: number; rank: number }[][] = []; // per group, per percentile
  private readonly starts: Int32Array; // per slot, where its latencies go in `picked`
  private readonly next: Int32Array;
  private readonly picked: Float64Array;

  constructor(counts: Int32Array, groups: number, width: number, ps: readonly number[]) {
    this.samples = new Int32Array(groups);
    const slotOf = new Map<number, number>(); // group * width + bucket → slot
    const sizes: number[] = [];
    for (let g = 0; g < groups; g++) {
      const row = g * width;
      const size = sum(counts, row, row + width);
      this.samples[g] = size;
      const found: { slot: number; rank: number }[] = [];
      for (const p of ps) {
        if (size === 0) break;
        const rank = nearestRank(p, size) - 1;
        const cell = bucketOf(counts, row, rank);
        let slot = slotOf.get(cell);
        if (slot === undefined) {
          slotOf.set(cell, (slot = sizes.length));
          sizes.push(counts[cell]);
        }
        found.push({ slot, rank: rank - sum(counts, row, cell) });
      }
      this.wanted.push(found);
    }
    // The counts are spent: the same memory now marks the buckets to take.
    this.slotMarks = counts.fill(0);
    for (const [cell, slot] of slotOf) this.slotMarks[cell] = slot + 1;
    this.starts = new Int32Array(sizes.length + 1);
    for (let s = 0; s < sizes.length; s++) this.starts[s + 1] = this.starts[s] + sizes[s];
    this.next = this.starts.slice(0, sizes.length);
    this.picked = new Float64Array(this.starts[sizes.length]);
  }

  take(mark: number, latency: number): void {
    this.picked[this.next[mark - 1]++] = latency;
  }

  percentiles(): GroupPercentiles {
    const ranksBySlot = new Map<number, Set<number>>();
    for (const found of this.wanted)
      for (const { slot, rank } of found) {
        if (!ranksBySlot.has(slot)) ranksBySlot.set(slot, new Set());
        ranksBySlot.get(slot)!.add(rank);
      }
    const valueAt = new Map<number, Map<number, number>>();
    for (const [slot, ranks] of ranksBySlot) valueAt.set(slot, selectRanks(this.picked.subarray(this.starts[slot], this.starts[slot + 1]), [...ranks]));
    const values = this.wanted.map((found) => Float64Array.from(found, ({ slot, rank }) => valueAt.get(slot)!.get(rank)!));
    return { samples: this.samples, values };
  }
}

function sum(counts: Int32Array, from: number, to: number): number {
  let total = 0;
  for (let i = from; i < to; i++) total += counts[i];
  return total;
}

/** The cell of the bucket holding 0-based rank `rank` of the row starting at `row`. */
function bucketOf(counts: Int32Array, row: number, rank: number): number {
  let below = 0;
  let cell = row;
  while (below + counts[cell] <= rank) below += counts[cell++];
  return cell;
}

/** The values at 0-based ranks (distinct) of an array, reordering it in place. */
function selectRanks(values: Float64Array, ranks: number[]): Map<number, number> {
  const out = new Map<number, number>();
  const small = values.length <= 64;
  if (small) values.sort();
  let lo = 0;
  for (const r of ranks.sort((a, b) => a - b)) {
    if (!small) selectInPlace(values, lo, values.length - 1, r);
    out.set(r, values[r]);
    lo = r + 1;
  }
  return out;
}
