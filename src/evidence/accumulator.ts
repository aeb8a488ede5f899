// Requests gathered for an evidence document: overall, per time window and per route. Each
// request is one latency in a growable Float64Array plus its window and route numbers (8 + 4 + 4
// bytes, about 16 MB a million requests, never one array per group); the errors and first and
// last times of each group are kept as they come. The percentiles of all groups are found at
// the end, by buckets (bucket-select.ts).
import type { EvidenceDoc, EvidenceStats, EvidenceWindow } from '../engine/gate-types.js';
import { percentilesByBuckets, type GroupPercentiles } from './bucket-select.js';
import { REPORTED_PERCENTILES, errorRate, percentilesInPlace } from './percentiles.js';

/** Counts and times of the groups of one kind (windows or routes), by group number. */
class GroupTally {
  errors: number[] = [];
  minTs: number[] = [];
  maxTs: number[] = [];

  open(): number {
    this.errors.push(0);
    this.minTs.push(Infinity);
    this.maxTs.push(-Infinity);
    return this.errors.length - 1;
  }

  get size(): number {
    return this.errors.length;
  }
}

type Tally = Pick<GroupTally, 'errors' | 'minTs' | 'maxTs'>;

export class Accumulator {
  private n = 0;
  private latencies = new Float64Array(1024);
  private windowOf = new Int32Array(1024);
  private routeOf = new Int32Array(1024); // route number, -1: no route

  private readonly windows = new GroupTally();
  private readonly windowStarts: number[] = [];
  private readonly windowByStart = new Map<number, number>();
  // The window of the last request, [from, to): logs come in time order, so most requests
  // fall in it and cost two comparisons.
  private windowFrom = Infinity;
  private windowTo = -Infinity;
  private window = -1;

  private readonly routes = new GroupTally();
  private readonly routeNames: string[] = [];
  private readonly routeByName = new Map<string, number>();
  private hasRoutes = false;
  private lastRoute: string | undefined;
  private lastRouteId = -1;

  constructor(
    readonly windowMs: number,
    readonly errorStatusMin: number,
  ) {}

  routesSeen(): void {
    this.hasRoutes = true;
  }

  /** Room for `count` more requests, when the caller knows about how many will come. */
  reserve(count: number): void {
    if (this.n + count > this.latencies.length) this.resize(this.n + count);
  }

  /** One request; an empty or missing route counts overall and in its window only. */
  add(ts: number, latency: number, status: number, route: string | undefined): void {
    let id = -1;
    if (route) {
      if (route !== this.lastRoute) {
        this.lastRoute = route;
        this.lastRouteId = this.routeId(route);
      }
      id = this.lastRouteId;
    }
    this.addSample(ts, latency, status >= this.errorStatusMin, id);
  }

  /** The number of a route, given on first sight. */
  routeId(route: string): number {
    let id = this.routeByName.get(route);
    if (id === undefined) {
      id = this.routes.open();
      // A fresh copy: a parsed cell is often a slice that would pin its whole chunk in memory.
      const name = Buffer.from(route).toString();
      this.routeNames.push(name);
      this.routeByName.set(name, id);
    }
    return id;
  }

  /**
   * One request whose route number the caller already has (-1: no route). Called once a
   * request: overall figures are summed from the windows at the end, not kept here.
   */
  addSample(ts: number, latency: number, error: boolean, route: number): void {
    const i = this.n;
    if (i === this.latencies.length) this.resize(2 * i);
    this.n = i + 1;
    this.latencies[i] = latency + 0; // -0 as 0: the percentile buckets order by sign bit
    this.routeOf[i] = route;
    // The first rows always look their window up: V8 then knows that path before it optimises
    // this function, and does not have to throw the optimised code away at the first new window.
    if (!(ts >= this.windowFrom && ts < this.windowTo) || i < 64) this.enterWindow(ts);
    const w = this.window;
    this.windowOf[i] = w;
    const wt = this.windows;
    // Every store made on every request: errors and new first times are rare, and a store
    // first made after V8 optimised this code throws the optimised code away mid-log (it has
    // no type feedback for it).
    const e = error ? 1 : 0;
    wt.minTs[w] = Math.min(wt.minTs[w], ts);
    wt.maxTs[w] = Math.max(wt.maxTs[w], ts);
    wt.errors[w] += e;
    if (route >= 0) {
      const rt = this.routes;
      rt.minTs[route] = Math.min(rt.minTs[route], ts);
      rt.maxTs[route] = Math.max(rt.maxTs[route], ts);
      rt.errors[route] += e;
    }
  }

  /** The window [k·w, (k+1)·w) that holds ts, exactly (the division alone may round up). */
  private enterWindow(ts: number): void {
    const size = this.windowMs;
    let from = Math.floor(ts / size) * size;
    if (from > ts) from -= size;
    else if (from + size <= ts) from += size;
    this.window = this.windowAt(from);
    this.windowFrom = from;
    this.windowTo = from + size;
  }

  private windowAt(start: number): number {
    let w = this.windowByStart.get(start);
    if (w === undefined) {
      w = this.windows.open();
      this.windowStarts.push(start);
      this.windowByStart.set(start, w);
    }
    return w;
  }

  private resize(size: number): void {
    const latencies = new Float64Array(size);
    latencies.set(this.latencies.subarray(0, this.n));
    this.latencies = latencies;
    const windowOf = new Int32Array(size);
    windowOf.set(this.windowOf.subarray(0, this.n));
    this.windowOf = windowOf;
    const routeOf = new Int32Array(size);
    routeOf.set(this.routeOf.subarray(0, this.n));
    this.routeOf = routeOf;
  }

  /** The document. May reorder the latencies: call it once, at the end. */
  toDoc(kind: string, source: string): EvidenceDoc {
    const grouped = {
      latencies: this.latencies,
      n: this.n,
      windowOf: this.windowOf,
      windows: this.windows.size,
      routeOf: this.routeOf,
      routes: this.routes.size,
    };
    // Overall last in the fallback: it sorts in place, after the groups were copied out.
    const found = percentilesByBuckets(grouped, REPORTED_PERCENTILES) ?? {
      windows: this.percentilesBySorting(this.windowOf, this.windows.size),
      routes: this.percentilesBySorting(this.routeOf, this.routes.size),
      overall: this.percentilesBySorting(null, 1),
    };
    const windows: EvidenceWindow[] = this.windowStarts
      .map((start, w) => ({ start, w }))
      .sort((a, b) => a.start - b.start)
      .map(({ start, w }) => ({ start, end: start + this.windowMs, ...stats(found.windows, w, this.windows) }));
    const doc: EvidenceDoc = {
      schema: 'opscockpit.evidence/v1',
      kind,
      source,
      window_ms: this.windowMs,
      // Every request is in one window: the overall figures are theirs summed.
      overall: stats(found.overall, 0, {
        errors: [this.windows.errors.reduce((a, b) => a + b, 0)],
        minTs: [this.windows.minTs.reduce((a, b) => Math.min(a, b), Infinity)],
        maxTs: [this.windows.maxTs.reduce((a, b) => Math.max(a, b), -Infinity)],
      }),
      windows,
    };
    if (this.hasRoutes) {
      const routes: Record<string, EvidenceStats> = {};
      const order = this.routeNames.map((name, r) => ({ name, r })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      // A route the byte scanner met on a line it then left to the general parser may have none.
      for (const { name, r } of order) if (found.routes.samples[r] > 0) routes[name] = stats(found.routes, r, this.routes);
      doc.routes = routes;
    }
    return doc;
  }

  /**
   * The fallback for latencies too spread out for buckets: each group's latencies copied side
   * by side (a counting sort by group) and its percentiles selected in place.
   */
  private percentilesBySorting(groupOf: Int32Array | null, groups: number): GroupPercentiles {
    const n = this.n;
    const starts = new Int32Array(groups + 1);
    let laidOut = this.latencies; // the overall group: in place
    if (groupOf) {
      for (let i = 0; i < n; i++) if (groupOf[i] >= 0) starts[groupOf[i] + 1]++;
      for (let g = 0; g < groups; g++) starts[g + 1] += starts[g];
      const next = starts.slice(0, groups);
      laidOut = new Float64Array(starts[groups]);
      for (let i = 0; i < n; i++) if (groupOf[i] >= 0) laidOut[next[groupOf[i]]++] = this.latencies[i];
    } else starts[1] = n;
    const samples = new Int32Array(groups);
    const values: Float64Array[] = [];
    for (let g = 0; g < groups; g++) {
      samples[g] = starts[g + 1] - starts[g];
      const got = percentilesInPlace(laidOut.subarray(starts[g], starts[g + 1]), samples[g], REPORTED_PERCENTILES);
      values.push(Float64Array.from(got, (v) => v ?? NaN));
    }
    return { samples, values };
  }
}

/** EvidenceStats of group g. */
function stats(by: GroupPercentiles, g: number, tally: Tally): EvidenceStats {
  const samples = by.samples[g];
  const [p50, p90, p95, p99] = samples > 0 ? by.values[g] : [null, null, null, null];
  return {
    samples,
    p50_ms: p50,
    p90_ms: p90,
    p95_ms: p95,
    p99_ms: p99,
    error_rate: errorRate(tally.errors[g], samples),
    min_ts: samples > 0 ? tally.minTs[g] : null,
    max_ts: samples > 0 ? tally.maxTs[g] : null,
  };
}
