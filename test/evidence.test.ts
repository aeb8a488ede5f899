// Evidence: exact percentiles, streaming harvest of request logs, atomic versioned files
// recorded in the ledger, tamper checks and the harvest command (called with a fake Io).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger, type SqliteLedger } from '../adapters/ledger.js';
import { harvestCommand, parseColumns } from '../src/cli/commands/harvest.js';
import { bin, cli, root } from './support/cli.js';
import type { Io } from '../src/cli/main.js';
import { UsageError } from '../src/cli/errors.js';
import type { EvidenceDoc } from '../src/engine/gate-types.js';
import { EvidenceError, harvestFile, harvestFiles, mergeEvidence, parseNumber, parseTimestamp, type FileRead, type HarvestOptions } from '../src/evidence/harvest.js';
import { errorRate, nearestRank, percentiles, percentilesInPlace, selectInPlace } from '../src/evidence/percentiles.js';
import {
  archivePath,
  evidenceEvents,
  lockEvidence,
  readEvidence,
  recordEvidence,
  verifyEvidence,
  writeFileAtomic,
} from '../src/evidence/store.js';

const T = Date.UTC(2026, 10, 23, 10, 0, 0); // 2026-11-23T10:00:00Z
const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

let dir: string;
const ledgers: SqliteLedger[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oc-evidence-'));
});
afterEach(() => {
  for (const l of ledgers.splice(0)) l.close();
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
function ledger(name = 'ledger.db'): SqliteLedger {
  const l = openLedger(join(dir, name));
  ledgers.push(l);
  return l;
}

/** Percentile by the definition, written out independently of the code under test. */
function reference(values: number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  // ceil(p/100 · n) in integers: p·n/100 rounded up.
  const rank = Math.max(1, Math.floor((p * values.length + 99) / 100));
  return sorted[rank - 1];
}

describe('nearest-rank percentiles', () => {
  it('ranks by ceil(p/100 · n), without floating-point surprises', () => {
    expect([50, 90, 95, 99, 100].map((p) => nearestRank(p, 1))).toEqual([1, 1, 1, 1, 1]);
    expect([50, 51, 90, 99].map((p) => nearestRank(p, 2))).toEqual([1, 2, 2, 2]);
    expect([10, 50, 90, 95, 99].map((p) => nearestRank(p, 10))).toEqual([1, 5, 9, 10, 10]);
    expect([50, 90, 95, 99].map((p) => nearestRank(p, 100))).toEqual([50, 90, 95, 99]);
    // 0.29 · 100 is 28.999999999999996 in floating point and 0.57 · 100 is 56.99999999999999.
    expect(nearestRank(29, 100)).toBe(29);
    expect(nearestRank(57, 100)).toBe(57);
    expect(nearestRank(99.9, 1000)).toBe(999);
    expect(nearestRank(99.9, 1001)).toBe(1000); // 999.999 → 1000
    expect(nearestRank(0, 7)).toBe(1);
    expect(nearestRank(50, 0)).toBe(0);
    expect(() => nearestRank(101, 10)).toThrow(RangeError);
  });

  it('gives hand-computed values for n = 1, 2, 10, 100 and ties', () => {
    const P = [50, 90, 95, 99];
    expect(percentiles([42], P)).toEqual([42, 42, 42, 42]);
    expect(percentiles([20, 10], P)).toEqual([10, 20, 20, 20]);
    // 1..10 shuffled: ranks 5, 9, 10, 10.
    expect(percentiles([7, 3, 10, 1, 9, 2, 8, 5, 4, 6], P)).toEqual([5, 9, 10, 10]);
    // 100..1: ranks 50, 90, 95, 99 are the values themselves.
    expect(percentiles(Array.from({ length: 100 }, (_, i) => 100 - i), P)).toEqual([50, 90, 95, 99]);
    // Ties: [5,5,5,5,100]: p50 rank 3 → 5; p90 rank ceil(4.5) = 5 → 100.
    expect(percentiles([5, 100, 5, 5, 5], P)).toEqual([5, 100, 100, 100]);
    expect(percentiles([2, 1, 2, 3, 2], [50, 60, 61, 80, 81])).toEqual([2, 2, 2, 2, 3]);
    // Numeric order, not string order (a plain JS sort would put 100 before 9).
    expect(percentiles([9, 100, 10], [50, 100])).toEqual([10, 100]);
    expect(percentiles([1.5, 0.25, 0.5, 2.75], [25, 50, 75])).toEqual([0.25, 0.5, 1.5]);
    expect(percentiles([], P)).toEqual([null, null, null, null]);
  });

  it('error rate is errors / samples, null without samples', () => {
    expect(errorRate(3, 200)).toBe(0.015);
    expect(errorRate(0, 5)).toBe(0);
    expect(errorRate(0, 0)).toBeNull();
  });

  it('selection in place agrees with a full sort on every shape of input', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const shapes: Record<string, (n: number) => number[]> = {
      random: (n) => Array.from({ length: n }, () => rand() * 1000),
      'few distinct': (n) => Array.from({ length: n }, () => Math.floor(rand() * 5)),
      'all equal': (n) => Array.from({ length: n }, () => 3),
      ascending: (n) => Array.from({ length: n }, (_, i) => i),
      descending: (n) => Array.from({ length: n }, (_, i) => n - i),
      'organ pipe': (n) => Array.from({ length: n }, (_, i) => Math.min(i, n - i)),
    };
    const ps = [0, 1, 25, 50, 90, 95, 99, 99.9, 100];
    for (const [shape, make] of Object.entries(shapes)) {
      for (const n of [1, 2, 3, 31, 32, 33, 100, 1000, 5003]) {
        const values = make(n);
        const got = percentilesInPlace(Float64Array.from(values), n, ps);
        expect(got, `${shape} n=${n}`).toEqual(ps.map((p) => reference(values, p)));
      }
    }
    // The selection invariant itself, at many k, for random sizes and value ranges.
    for (let round = 0; round < 400; round++) {
      const n = 33 + Math.floor(rand() * 400);
      const spread = [3, 50, 1e6][round % 3];
      const a = Float64Array.from({ length: n }, () => Math.floor(rand() * spread));
      const sorted = Float64Array.from(a).sort();
      const k = Math.floor(rand() * n);
      selectInPlace(a, 0, n - 1, k);
      expect(a[k], `round ${round}`).toBe(sorted[k]);
      let ok = true;
      for (let i = 0; i < n; i++) if ((i < k && a[i] > a[k]) || (i > k && a[i] < a[k])) ok = false;
      expect(ok, `round ${round}`).toBe(true);
    }
  });
});

describe('cell parsing', () => {
  it('reads numbers exactly as Number does, and rejects blanks', () => {
    for (const s of ['0', '200', '47.6', '0.1', '0.3', '123456789012345', '12.', '.5', '1e3', ' 12 ', '007', '3.14159265358979'])
      expect(parseNumber(s), s).toBe(Number(s));
    for (const s of ['', '  ', 'abc', '1.2.3', '12ms', '.', 'NaN']) expect(parseNumber(s), s).toBeNaN();
  });

  it('reads ISO 8601 with or without zone (UTC), and epoch milliseconds', () => {
    expect(parseTimestamp('2026-11-23T10:00:00Z')).toBe(T);
    expect(parseTimestamp('2026-11-23T10:00:00.5Z')).toBe(T + 500);
    expect(parseTimestamp('2026-11-23T10:00:00.123456Z')).toBe(T + 123);
    expect(parseTimestamp('2026-11-23T11:30:00+01:30')).toBe(T);
    expect(parseTimestamp('2026-11-23T05:00:00-0500')).toBe(T);
    expect(parseTimestamp('2026-11-23T10:00:00')).toBe(T);
    expect(parseTimestamp('2026-11-23 10:00')).toBe(T);
    expect(parseTimestamp('2026-11-23')).toBe(Date.UTC(2026, 10, 23));
    expect(parseTimestamp('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseTimestamp(String(T))).toBe(T);
    for (const s of ['', 'yesterday', '2026-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-11-23T24:00:00Z', '2026-11-23T10:00:00+1:00', '23/11/2026'])
      expect(parseTimestamp(s), s).toBeNull();
  });
});

const HEADER = 'ts,latency_ms,status,route\n';
// Six requests over two one-minute windows; see the expectations for the arithmetic.
const BASIC =
  HEADER +
  '2026-11-23T10:00:05Z,120,200,/api/judge\n' +
  '2026-11-23T10:00:20.500Z,80,200,"/api/cards,trends"\n' +
  `${T + 30_000},300,503,/api/judge\n` +
  '2026-11-23T11:00:40+01:00,95,200,/readyz\n' +
  '2026-11-23T10:01:10Z,210,500,"/api/cards,trends"\n' +
  '"2026-11-23T10:01:50Z",60,404,/api/judge\n';

describe('harvest', () => {
  it('computes overall, per-window and per-route stats from a small log', async () => {
    const doc = await harvestFile(file('reqlog.csv', BASIC), { kind: 'reqlog' });
    expect(doc).toMatchObject({ schema: 'opscockpit.evidence/v1', kind: 'reqlog', window_ms: 60_000 });
    // Sorted: 60 80 95 120 210 300. p50 rank 3; p90 rank ceil(5.4) = 6; errors 503 and 500.
    expect(doc.overall).toEqual({ samples: 6, p50_ms: 95, p90_ms: 300, p95_ms: 300, p99_ms: 300, error_rate: 2 / 6, min_ts: T + 5_000, max_ts: T + 110_000 });
    expect(doc.windows).toEqual([
      // 120 80 300 95 → 80 95 120 300: p50 rank 2, p90 rank 4; one 503.
      { start: T, end: T + 60_000, samples: 4, p50_ms: 95, p90_ms: 300, p95_ms: 300, p99_ms: 300, error_rate: 0.25, min_ts: T + 5_000, max_ts: T + 40_000 },
      // 210 60: p50 rank 1, p90 rank 2; the 404 is not an error.
      { start: T + 60_000, end: T + 120_000, samples: 2, p50_ms: 60, p90_ms: 210, p95_ms: 210, p99_ms: 210, error_rate: 0.5, min_ts: T + 70_000, max_ts: T + 110_000 },
    ]);
    expect(Object.keys(doc.routes!)).toEqual(['/api/cards,trends', '/api/judge', '/readyz']);
    expect(doc.routes!['/api/judge']).toMatchObject({ samples: 3, p50_ms: 120, p90_ms: 300, error_rate: 1 / 3 });
    expect(doc.routes!['/api/cards,trends']).toMatchObject({ samples: 2, p50_ms: 80, p99_ms: 210, error_rate: 0.5 });
    expect(doc.routes!['/readyz']).toMatchObject({ samples: 1, p50_ms: 95, error_rate: 0 });
  });

  it('honours the window length and the error status threshold', async () => {
    const doc = await harvestFile(file('reqlog.csv', BASIC), { kind: 'reqlog', windowMs: 30_000, errorStatusMin: 400 });
    expect(doc.window_ms).toBe(30_000);
    expect(doc.windows.map((w) => [w.start - T, w.samples])).toEqual([
      [0, 2],
      [30_000, 2],
      [60_000, 1],
      [90_000, 1],
    ]);
    expect(doc.overall.error_rate).toBe(3 / 6); // 503, 500 and now 404
  });

  it('reads the log’s own column names, in any order, beside extra columns', async () => {
    const path = file(
      'custom.csv',
      'host,code,time,lat,path\n' + 'a,200,2026-11-23T10:00:01Z,5,/x\n' + 'b,502,2026-11-23T10:00:02Z,7,/x\n' + 'c,200,2026-11-23T10:02:03Z,9,/y\n',
    );
    const doc = await harvestFile(path, { kind: 'judgelog', columns: { ts: 'time', latency: 'lat', status: 'code', route: 'path' } });
    expect(doc.kind).toBe('judgelog');
    expect(doc.overall).toMatchObject({ samples: 3, p50_ms: 7, p99_ms: 9, error_rate: 1 / 3 });
    expect(doc.windows.map((w) => w.start)).toEqual([T, T + 120_000]);
    expect(Object.keys(doc.routes!)).toEqual(['/x', '/y']);
  });

  it('has no routes without a route column, and requires one that was named', async () => {
    const path = file('noroute.csv', 'ts,latency_ms,status\n2026-11-23T10:00:01Z,5,200\n');
    expect((await harvestFile(path, { kind: 'reqlog' })).routes).toBeUndefined();
    await expect(harvestFile(path, { kind: 'reqlog', columns: { route: 'route' } })).rejects.toThrow(
      `${path}: no column "route" in the header (columns: ts, latency_ms, status)`,
    );
  });

  it('handles CRLF, a BOM, blank lines and a last line without a line end', async () => {
    const text = '\uFEFF' + BASIC.replaceAll('\n', '\r\n').replace('\r\n2026-11-23T11', '\r\n\r\n2026-11-23T11').trimEnd();
    const doc = await harvestFile(file('crlf.csv', text), { kind: 'reqlog' });
    const plain = await harvestFile(file('lf.csv', BASIC), { kind: 'reqlog' });
    expect({ ...doc, source: '' }).toEqual({ ...plain, source: '' });
  });

  it('streams a log of several chunks exactly, with \\r\\n and quoted fields across chunk ends', async () => {
    // Rows are laid out so that the first 1 MiB read ends between \r and \n, and the second
    // inside a quoted route; every route is quoted, some hold commas and a line break.
    const CHUNK = 1 << 20;
    const lats: number[] = [];
    let errors = 0;
    const parts = ['ts,latency_ms,status,route\r\n'];
    let length = parts[0].length;
    const rowFor = (route: string) => {
      const i = lats.length;
      return { row: `${T + i * 10},${((i * 7919) % 1000) / 10},${i % 97 ? 200 : 503},"${route}"\r\n`, lat: ((i * 7919) % 1000) / 10, error: i % 97 === 0 };
    };
    const push = (route: string) => {
      const { row, lat, error } = rowFor(route);
      parts.push(row);
      length += row.length;
      lats.push(lat);
      if (error) errors++;
    };
    const pinned = { cr: false, quote: false };
    while (length < 2.5 * CHUNK) {
      const bare = rowFor('').row.length;
      const toFirst = CHUNK + 1 - length; // a row ending here has its \r at CHUNK - 1
      const toSecond = 2 * CHUNK - length;
      if (!pinned.cr && toFirst >= bare + 4 && toFirst < 200) {
        push('/pad'.padEnd(toFirst - bare, 'x'));
        pinned.cr = true;
      } else if (!pinned.quote && toSecond >= 40 && toSecond < 200) {
        push('/a,b\r\nc'.padEnd(toSecond + 20, 'q')); // the second chunk ends inside the quotes
        pinned.quote = true;
      } else push(lats.length % 3 ? '/api/judge' : '/api/cards,trends');
    }
    const text = parts.join('');
    expect(text[CHUNK - 1]).toBe('\r');
    expect(text[CHUNK]).toBe('\n');
    const doc = await harvestFile(file('big.csv', text), { kind: 'reqlog' });
    expect(pinned).toEqual({ cr: true, quote: true });
    expect(doc.overall.samples).toBe(lats.length);
    expect([doc.overall.p50_ms, doc.overall.p90_ms, doc.overall.p95_ms, doc.overall.p99_ms]).toEqual([50, 90, 95, 99].map((p) => reference(lats, p)));
    expect(doc.overall.error_rate).toBe(errors / lats.length);
    expect(doc.windows.reduce((n, w) => n + w.samples, 0)).toBe(lats.length);
    expect(Object.values(doc.routes!).reduce((n, r) => n + r.samples, 0)).toBe(lats.length);
    const quoted = text.indexOf('"/a,b');
    expect(quoted).toBeLessThan(2 * CHUNK);
    expect(text.indexOf('"', quoted + 1)).toBeGreaterThan(2 * CHUNK);
    expect(Object.keys(doc.routes!).some((r) => r.startsWith('/a,b\r\nc'))).toBe(true);
  });

  it('treats an empty or header-only log as 0 samples, not as an error', async () => {
    const nulls = { samples: 0, p50_ms: null, p90_ms: null, p95_ms: null, p99_ms: null, error_rate: null, min_ts: null, max_ts: null };
    for (const [name, text] of [
      ['empty.csv', ''],
      ['header.csv', HEADER],
      ['header-no-eol.csv', HEADER.trimEnd()],
      ['header-blank.csv', HEADER + '\n\n'],
    ]) {
      const doc = await harvestFile(file(name, text), { kind: 'reqlog' });
      expect(doc.overall, name).toEqual(nulls);
      expect(doc.windows, name).toEqual([]);
    }
  });

  describe('errors name the file and the line', () => {
    const cases: [string, string, string][] = [
      ['a bad latency', HEADER + '2026-11-23T10:00:01Z,abc,200,/a\n', 'line 2: latency_ms is "abc", not a number'],
      ['an empty latency', HEADER + '2026-11-23T10:00:01Z,,200,/a\n', 'line 2: latency_ms is "", not a number'],
      ['a negative latency', HEADER + '2026-11-23T10:00:01Z,-5,200,/a\n', 'line 2: latency_ms is "-5", below 0'],
      ['a bad status', HEADER + '2026-11-23T10:00:01Z,5,OK,/a\n', 'line 2: status is "OK", not a number'],
      ['a bad timestamp', HEADER + '2026-11-23T10:00:01Z,5,200,/a\nyesterday,5,200,/a\n', 'line 3: ts is "yesterday", not an ISO 8601 time or epoch milliseconds'],
      ['an impossible date', HEADER + '2026-02-30T10:00:01Z,5,200,/a\n', 'line 2: ts is "2026-02-30T10:00:01Z", not an ISO 8601 time'],
      ['epoch seconds', HEADER + '1795428000,5,200,/a\n', 'line 2: ts is "1795428000", which looks like epoch seconds; give epoch milliseconds or ISO 8601'],
      ['a short row', HEADER + '2026-11-23T10:00:01Z,5\n2026-11-23T10:00:02Z,5,200,/a\n', "line 2: fewer fields than the header's 4 (ts, latency_ms, status, route)"],
      [
        'a row after blank lines and a multi-line quoted field',
        HEADER + '2026-11-23T10:00:01Z,5,200,/a\n\n2026-11-23T10:00:02Z,6,200,"/b\nstill b"\n\n\n2026-11-23T10:00:03Z,7.5.1,200,/c\n',
        'line 8: latency_ms is "7.5.1", not a number',
      ],
    ];
    for (const [what, text, message] of cases) {
      for (const parser of ['bytes', 'general'] as const) {
        it(`${what} (${parser} parser)`, async () => {
          const path = file('reqlog.csv', text);
          const err = await harvestFile(path, { kind: 'reqlog', parser }).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(EvidenceError);
          expect((err as Error).message).toContain(`${path} ${message}`);
          expect((err as Error).message).not.toContain('\n');
        });
      }
    }

    it('a missing column, with the columns that are there', async () => {
      const path = file('reqlog.csv', 'ts,latency,status\n2026-11-23T10:00:01Z,5,200\n');
      await expect(harvestFile(path, { kind: 'reqlog' })).rejects.toThrow(`${path}: no column "latency_ms" in the header (columns: ts, latency, status)`);
    });

    it('a missing file', async () => {
      const path = join(dir, 'nope.csv');
      await expect(harvestFile(path, { kind: 'reqlog' })).rejects.toThrow(`${path}: no such file`);
    });
  });

  it('harvesting two files together equals harvesting their concatenation', async () => {
    const rowsA = BASIC.split('\n').slice(1, 4).join('\n') + '\n';
    const rowsB = BASIC.split('\n').slice(4).join('\n');
    const a = file('a.csv', HEADER + rowsA);
    const b = file('b.csv', HEADER + rowsB);
    const both = file('both.csv', HEADER + rowsA + rowsB);
    const merged = await harvestFiles([a, b], { kind: 'reqlog' });
    const whole = await harvestFile(both, { kind: 'reqlog' });
    expect(merged.source).toBe(`${a}, ${b}`);
    expect({ ...merged, source: '' }).toEqual({ ...whole, source: '' });
    // reqlog + judgelog (seed 001's perf + perf_judge) merge the same way, as kind "merged".
    const judge = file('judge.csv', 'time,lat,code\n2026-11-23T10:00:07Z,1000,200\n');
    const mixed = await mergeEvidence([
      { path: both, kind: 'reqlog' },
      { path: judge, kind: 'judgelog', columns: { ts: 'time', latency: 'lat', status: 'code' } },
    ]);
    expect(mixed.kind).toBe('merged');
    // 60 80 95 120 210 300 1000: p50 rank 4 → 120; p90 rank ceil(6.3) = 7 → 1000.
    expect(mixed.overall).toMatchObject({ samples: 7, p50_ms: 120, p90_ms: 1000, error_rate: 2 / 7 });
  });
});

/** Both parsers over one file: the documents, and how the default one read it. */
async function bothParsers(path: string, opts: Omit<HarvestOptions, 'kind' | 'parser' | 'onRead'> = {}) {
  const reads: FileRead[] = [];
  const bytes = await harvestFile(path, { kind: 'reqlog', ...opts, onRead: (r) => reads.push(r) });
  const general = await harvestFile(path, { kind: 'reqlog', ...opts, parser: 'general' });
  return { bytes, general, read: reads[0] };
}

// Header with the columns reordered and two extra ones; rows with every plain form the byte
// scanner reads itself, and three it reads as text (a time without a zone, a latency with
// spaces, a route with an escaped quote), all valid.
const MIXED_HEADER = 'host,route,status,ts,extra,latency_ms';
const MIXED_ROWS = [
  'a,/api/judge,200,2026-11-23T10:00:01.123Z,x,12',
  '"b,1","/ops/cards/reason-trends,top-impact",503,2026-11-23T11:00:02+01:00,,12.5',
  'c,/readyz,404,2026-11-23T05:00:03-0500,y,0.125',
  'd,/api/judge,200,"2026-11-23T10:00:04.5Z",z,"7."',
  'e,,200,1795428005000,,.5',
  'f,/api/judge,500,2026-11-23T10:00:06.123456Z,,100',
  '',
  'g,"/api/promote",200,2026-11-23T10:01:07z,q,33.3',
  'h,/api/judge,200,2026-11-23 10:01:08,,9',
  'i,/readyz,502,2026-11-23T10:01:09Z,, 12 ',
  'j,"/say ""hi""",200,2026-11-23T10:01:10Z,,44',
  'k,/api/judge,200,1795428130000,,0',
];

describe('byte scanner and general parser', () => {
  for (const [name, eol] of [
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ] as const) {
    it(`read a mixed ${name} log alike: quotes, zones, epoch ms, decimals, extra and reordered columns`, async () => {
      const path = file(`mixed-${name}.csv`, [MIXED_HEADER, ...MIXED_ROWS].join(eol) + eol);
      const columns = { ts: 'ts', latency: 'latency_ms', status: 'status', route: 'route' };
      const { bytes, general, read } = await bothParsers(path, { columns, windowMs: 30_000 });
      expect(bytes).toEqual(general);
      expect(read).toMatchObject({ path, byteRecords: 11, slowRecords: 3, generalRecords: 0, generalFrom: 'none' });
      expect(bytes.overall).toMatchObject({ samples: 11, p50_ms: 12, p99_ms: 100, error_rate: 3 / 11 });
      expect(Object.keys(bytes.routes!)).toEqual(['/api/judge', '/api/promote', '/ops/cards/reason-trends,top-impact', '/readyz', '/say "hi"']);
      expect(bytes.routes!['/api/judge']).toMatchObject({ samples: 5, min_ts: T + 1_123, max_ts: T + 130_000 });
    });
  }

  it('hand the rest of the log to the general parser from a quoted line break, with the same evidence', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${T + i * 1000},${(i * 37) % 100},${i % 9 ? 200 : 503},/r${i % 3}`);
    rows.splice(20, 0, `${T + 20_500},5,200,"/multi\nline"`);
    const path = file('handoff.csv', HEADER + rows.join('\n') + '\n');
    const { bytes, general, read } = await bothParsers(path);
    expect(bytes).toEqual(general);
    expect(read).toMatchObject({ path, byteRecords: 20, slowRecords: 0, generalRecords: 21, generalFrom: 22 });
    expect(bytes.routes!['/multi\nline'].samples).toBe(1);
  });

  it('read a line of a whole read (1 MiB) starting on a read boundary itself; hand a longer one to the general parser', async () => {
    const MiB = 1 << 20;
    // Filler lines up to exactly 1 MiB (the second read starts there), then the long line,
    // then plain lines again.
    const filler: string[] = [];
    let size = HEADER.length;
    for (let i = 0; size < MiB - 200; i++) {
      const line = `${T + i},${i % 250},${i % 97 ? 200 : 500},/r${i % 5}`;
      filler.push(line);
      size += line.length + 1;
    }
    const lastPrefix = `${T + 1},5,200,/`;
    filler.push(lastPrefix + 'p'.repeat(MiB - size - lastPrefix.length - 1));
    const after = Array.from({ length: 1000 }, (_, i) => `${T + 2_000_000 + i},${i % 90},200,/r${i % 5}`);
    for (const [length, generalFrom] of [
      [MiB, 'none'],
      [2 * MiB + 100_000, filler.length + 2],
    ] as const) {
      const prefix = `${T + 1_000_000},7,200,/`;
      const long = prefix + 'x'.repeat(length - prefix.length);
      const text = HEADER + [...filler, long, ...after].join('\n') + '\n';
      expect(text.indexOf(long)).toBe(MiB);
      const path = file(`long-line-${length}.csv`, text);
      const { bytes, general, read } = await bothParsers(path);
      expect(bytes, `${length}`).toEqual(general);
      const total = filler.length + 1 + after.length;
      expect(read, `${length}`).toMatchObject(
        generalFrom === 'none'
          ? { path, byteRecords: total, slowRecords: 0, generalRecords: 0, generalFrom }
          : { path, byteRecords: filler.length, slowRecords: 0, generalRecords: total - filler.length, generalFrom },
      );
    }
  });

  it('tell routes apart that share their first bytes, are prefixes of one another, or are quoted', async () => {
    // Nine routes share "/api" (more than a slot of the route cache holds), one is a prefix of
    // another, some are shorter than four bytes, and one is quoted on some lines only; the
    // route column is not last, so a route is followed by a comma as well as a line end.
    const names = ['/api/judge', '/api/judgement', '/api/jud', '/api/promote', ...Array.from({ length: 5 }, (_, i) => `/api/v${i}`), '/a', '/ab', '/abc', '/abcd'];
    const lines = ['route,ts,latency_ms,status'];
    for (let i = 0; i < 6000; i++) {
      const name = names[(i * 7) % names.length];
      const route = name === '/api/judge' && i % 3 === 0 ? `"${name}"` : name;
      lines.push(`${route},${T + i * 10},${i % 200},${i % 50 ? 200 : 503}`);
    }
    const path = file('prefix-routes.csv', lines.join('\n') + '\n');
    const { bytes, general, read } = await bothParsers(path);
    expect(bytes).toEqual(general);
    expect(read.byteRecords).toBe(6000);
    expect(Object.keys(bytes.routes!).sort()).toEqual([...names].sort());
    expect(Object.values(bytes.routes!).reduce((n, r) => n + r.samples, 0)).toBe(6000);
  });

  it('read the whole file with the general parser when the header is not plain', async () => {
    const path = file('quoted-header.csv', '"ts","latency_ms",status\n2026-11-23T10:00:01Z,5,200\n');
    const { bytes, general, read } = await bothParsers(path);
    expect(bytes).toEqual(general);
    expect(read.generalFrom).toBe('whole file');
  });

  it('agree on generated logs of many shapes, across buffer ends', async () => {
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pick = <X,>(xs: readonly X[]) => xs[Math.floor(rand() * xs.length)];
    const time = (t: number) =>
      pick([
        () => new Date(t).toISOString(),
        () => new Date(t).toISOString().replace('Z', '+00:00'),
        () => new Date(t).toISOString().slice(0, 19) + 'Z',
        () => String(t),
        () => `"${new Date(t).toISOString()}"`,
      ])();
    const latency = () => pick([() => String(Math.floor(rand() * 500)), () => (rand() * 500).toFixed(1), () => (rand() * 5).toFixed(3), () => '0'])();
    const route = () => pick(['/a', '/b', '"/c,d"', '', '/e/' + Math.floor(rand() * 50), '"/q ""x"""']);
    for (const [rows, eol] of [
      [300, '\n'],
      [40_000, '\n'],
      [30_000, '\r\n'],
    ] as const) {
      const lines = [HEADER.trimEnd()];
      for (let i = 0; i < rows; i++) lines.push(`${time(T + Math.floor(i * 7.3))},${latency()},${pick([200, 200, 204, 404, 500, 503])},${route()}`);
      const path = file(`gen-${rows}.csv`, lines.join(eol) + (rand() < 0.5 ? eol : ''));
      const { bytes, general, read } = await bothParsers(path, { windowMs: 10_000 });
      expect(bytes, `${rows} rows`).toEqual(general);
      expect(read.byteRecords, `${rows} rows`).toBe(rows);
    }
  });

  describe('a bad cell deep in a log is named by its line', () => {
    const good = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `2026-11-23T10:00:${String((from + i) % 60).padStart(2, '0')}.250Z,${i % 300},200,/api/judge`);
    const cases: [string, string[], string][] = [
      ['a bad latency', [...good(30_000), '2026-11-23T10:00:01Z,12ms,200,/a'], 'line 30002: latency_ms is "12ms", not a number'],
      ['an impossible date', [...good(30_000), '2026-02-30T10:00:01Z,5,200,/a'], 'line 30002: ts is "2026-02-30T10:00:01Z", not an ISO 8601 time'],
      ['epoch seconds', [...good(25_000), '1795428000,5,200,/a'], 'line 25002: ts is "1795428000", which looks like epoch seconds'],
      ['after a hand-off to the general parser', [...good(100), '2026-11-23T10:00:01Z,5,200,"/x\ny"', ...good(29_000), '2026-11-23T10:00:01Z,-1,200,/a'], 'line 29104: latency_ms is "-1", below 0'],
    ];
    for (const [what, lines, message] of cases) {
      it(what, async () => {
        const path = file('deep.csv', HEADER + lines.join('\n') + '\n');
        for (const parser of ['bytes', 'general'] as const) {
          const err = await harvestFile(path, { kind: 'reqlog', parser }).catch((e: unknown) => e);
          expect(err, parser).toBeInstanceOf(EvidenceError);
          expect((err as Error).message, parser).toContain(`${path} ${message}`);
        }
      });
    }
  });
});

const doc0 = async (name = 'reqlog.csv') => harvestFile(file(name, BASIC), { kind: 'reqlog' });
const recorded = (l: SqliteLedger, path: string) => evidenceEvents(l, path).map((e) => e.body);

describe('evidence store', () => {
  it('writes atomically: a failed write leaves the old file and no temp files', () => {
    const path = join(dir, 'out', 'perf.json');
    writeFileAtomic(path, '{"v":1}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"v":1}\n');
    writeFileAtomic(path, '{"v":2}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"v":2}\n');
    expect(readdirSync(join(dir, 'out'))).toEqual(['perf.json']);
    // A non-empty folder in the way: the rename fails after the temp file was written.
    const blocked = join(dir, 'out', 'blocked.json');
    mkdirSync(join(blocked, 'inside'), { recursive: true });
    expect(() => writeFileAtomic(blocked, 'x')).toThrow(EvidenceError);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['blocked.json', 'perf.json']);
  });

  it('records WIP versions, locks one, refuses to rewrite it, and keeps it when v+1 is harvested', async () => {
    const l = ledger();
    const run = l.startRun({ runbook: '/rb.yaml', name: 'cutover' }, T);
    const path = join(dir, 'evidence', 'latest.json');
    const doc = await doc0();

    const v1 = recordEvidence(l, run.runId, 'ana', path, doc, T + 1);
    expect(v1).toMatchObject({ version: 1, state: 'WIP', warnings: [] });
    expect(v1.sha256).toBe(sha(readFileSync(path)));
    expect(readEvidence(path)).toMatchObject({ state: 'WIP', version: 1, overall: { samples: 6 } });

    // A later run continues the numbering: the ledger, not the run, holds the versions.
    const run2 = l.startRun({ runbook: '/rb.yaml', name: 'cutover 2' }, T + 2);
    const v2 = recordEvidence(l, run2.runId, 'bo', path, doc, T + 3);
    expect(v2.version).toBe(2);

    const locked = lockEvidence(l, run2.runId, 'bo', path, T + 4);
    expect(locked).toMatchObject({ version: 2, state: 'LOCKED' });
    expect(locked.sha256).not.toBe(v2.sha256);
    expect(locked.sha256).toBe(sha(readFileSync(path)));
    expect(readEvidence(path)).toMatchObject({ state: 'LOCKED', version: 2 });
    expect(statSync(path).mode & 0o222).toBe(0); // read-only
    expect(lockEvidence(l, run2.runId, 'bo', path, T + 5).sha256).toBe(locked.sha256); // again: no change

    expect(() => recordEvidence(l, run2.runId, 'bo', path, { ...doc, version: 2 }, T + 6)).toThrow('evidence v2 is LOCKED; a new harvest makes v3');
    expect(readEvidence(path)).toMatchObject({ state: 'LOCKED', version: 2 });

    const v3 = recordEvidence(l, run2.runId, 'bo', path, doc, T + 7);
    expect(v3).toMatchObject({ version: 3, state: 'WIP', archived: join(dir, 'evidence', 'latest-v2.json') });
    expect(archivePath(path, 2)).toBe(v3.archived);
    expect(sha(readFileSync(v3.archived!))).toBe(locked.sha256);
    expect(verifyEvidence(l, v3.archived!)).toMatchObject({ tampered: false, state: 'LOCKED', version: 2 });
    expect(verifyEvidence(l, path)).toMatchObject({ tampered: false, state: 'WIP', version: 3 });
    // Still refused after it moved.
    expect(() => recordEvidence(l, run2.runId, 'bo', path, { ...doc, version: 2 }, T + 8)).toThrow('evidence v2 is LOCKED; a new harvest makes v4');

    // A WIP version may be rewritten as itself; other versions are refused.
    expect(recordEvidence(l, run2.runId, 'bo', path, { ...doc, version: 3 }, T + 9).version).toBe(3);
    expect(() => recordEvidence(l, run2.runId, 'bo', path, { ...doc, version: 9 }, T + 10)).toThrow('is at v3; leave the version out to write v4');

    expect(recorded(l, path).map((b) => b.kind === 'evidence.recorded' && `v${b.version} ${b.state}`)).toEqual([
      'v1 WIP',
      'v2 WIP',
      'v2 LOCKED',
      'v3 WIP',
      'v3 WIP',
    ]);
    const all = evidenceEvents(l);
    expect(all.map((e) => e.runId)).toEqual([run.runId, ...Array(5).fill(run2.runId)]);
    expect(all.every((e) => e.body.kind === 'evidence.recorded' && e.body.samples === 6)).toBe(true);
  });

  it('detects a file edited by hand or removed, and refuses to lock it', async () => {
    const l = ledger();
    const run = l.startRun({ runbook: '/rb.yaml', name: 'cutover' }, T);
    const path = join(dir, 'latest.json');
    expect(verifyEvidence(l, path)).toEqual({ tampered: false, expected: null, actual: null });
    const w = recordEvidence(l, run.runId, 'ana', path, await doc0(), T + 1);
    expect(verifyEvidence(l, path)).toEqual({ tampered: false, expected: w.sha256, actual: w.sha256, version: 1, state: 'WIP' });

    const edited = readFileSync(path, 'utf8').replace('"p99_ms": 300', '"p99_ms": 30');
    writeFileSync(path, edited);
    expect(verifyEvidence(l, path)).toEqual({ tampered: true, expected: w.sha256, actual: sha(edited), version: 1, state: 'WIP' });
    expect(() => lockEvidence(l, run.runId, 'ana', path, T + 2)).toThrow(/changed since it was recorded.*harvest again before locking/);
    expect(recorded(l, path).at(-1)).toEqual({ kind: 'evidence.tampered', path, expected: w.sha256, actual: sha(edited) });

    unlinkSync(path);
    expect(verifyEvidence(l, path)).toMatchObject({ tampered: true, expected: w.sha256, actual: null });

    // A new harvest over a tampered WIP file goes ahead, says so, and records it.
    const v2 = recordEvidence(l, run.runId, 'ana', path, await doc0(), T + 3);
    expect(v2.version).toBe(2);
    expect(v2.warnings).toEqual([`evidence ${path} v1 went missing since it was recorded (recorded as tampered)`]);
    expect(verifyEvidence(l, path).tampered).toBe(false);
  });

  it('never replaces a LOCKED version that was edited; a missing one is recorded and replaced', async () => {
    const l = ledger();
    const run = l.startRun({ runbook: '/rb.yaml', name: 'cutover' }, T);
    const path = join(dir, 'latest.json');
    recordEvidence(l, run.runId, 'ana', path, await doc0(), T + 1);
    const locked = lockEvidence(l, run.runId, 'ana', path, T + 2);
    writeFileSync(path, '{"forged": true}\n');
    expect(() => recordEvidence(l, run.runId, 'ana', path, asFresh(locked.doc), T + 3)).toThrow(/v1 is LOCKED but changed since/);
    expect(readFileSync(path, 'utf8')).toBe('{"forged": true}\n');
    unlinkSync(path);
    const v2 = recordEvidence(l, run.runId, 'ana', path, asFresh(locked.doc), T + 4);
    expect(v2).toMatchObject({ version: 2, state: 'WIP', archived: undefined });
    expect(existsSync(archivePath(path, 1))).toBe(false);
    expect(recorded(l, path).filter((b) => b.kind === 'evidence.tampered')).toHaveLength(2);
  });
});

/** A LOCKED document fed back as a fresh harvest (no version). */
function asFresh(doc: EvidenceDoc): EvidenceDoc {
  return { ...doc, version: undefined, state: undefined };
}

function fakeIo(): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream,
    stderr: { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WriteStream,
    env: { OPSCOCKPIT_OPERATOR: 'ana' },
    out: () => out,
    err: () => err,
  };
}

describe('opscockpit harvest (module, fake Io)', () => {
  it('writes v1 WIP, prints the summary and records a run of its own', async () => {
    const csv = file('reqlog.csv', BASIC);
    const out = join(dir, 'evidence', 'perf.json');
    const db = join(dir, 'ledger.db');
    const io = fakeIo();
    expect(await harvestCommand(['reqlog', csv, '--out', out, '--ledger', db], io)).toBe(0);
    expect(io.err()).toBe('');
    const text = io.out();
    const hash = sha(readFileSync(out));
    for (const part of ['samples     6', 'p95         300 ms', 'p99         300 ms', 'error rate  33.33% (2 of 6)', 'windows     2 × 60s', 'routes      3', `evidence ${out} v1 WIP`, `sha256      ${hash}`])
      expect(text).toContain(part);
    const l = ledger();
    const [run] = l.listRuns(5);
    expect(run).toMatchObject({ name: 'evidence harvest (reqlog)', status: 'succeeded' });
    expect(l.events(run.runId).map((e) => [e.operator, e.body])).toEqual([
      ['ana', { kind: 'evidence.recorded', path: out, sha256: hash, version: 1, state: 'WIP', samples: 6 }],
    ]);
  });

  it('--lock, then a new harvest makes v2 and keeps v1; options --columns, --window, --error-status', async () => {
    const csv = file('judge.csv', 'time,lat,code\n2026-11-23T10:00:01Z,5,200\n2026-11-23T10:00:31Z,9,404\n');
    const out = join(dir, 'perf_judge.json');
    const db = join(dir, 'ledger.db');
    const args = ['judgelog', csv, '--out', out, '--ledger', db, '--columns', 'ts=time,latency_ms=lat,status=code', '--window', '30s', '--error-status', '400'];
    const io1 = fakeIo();
    expect(await harvestCommand([...args, '--lock'], io1)).toBe(0);
    expect(io1.out()).toContain(`evidence ${out} v1 LOCKED`);
    expect(io1.out()).toContain('windows     2 × 30s');
    expect(io1.out()).toContain('error rate  50.00% (1 of 2)');
    const io2 = fakeIo();
    expect(await harvestCommand(args, io2)).toBe(0);
    expect(io2.out()).toContain(`evidence ${out} v2 WIP`);
    expect(io2.out()).toContain(`kept        LOCKED v1 as ${join(dir, 'perf_judge-v1.json')}`);
    expect(readEvidence(out)).toMatchObject({ kind: 'judgelog', window_ms: 30_000, version: 2, state: 'WIP' });
  });

  it('records into a given run; an unknown run is an error', async () => {
    const db = join(dir, 'ledger.db');
    const l = ledger();
    const run = l.startRun({ runbook: '/rb.yaml', name: 'cutover' }, T);
    const csv = file('reqlog.csv', BASIC);
    const out = join(dir, 'latest.json');
    expect(await harvestCommand(['reqlog', csv, '--out', out, '--ledger', db, '--run', run.runId], fakeIo())).toBe(0);
    expect(l.events(run.runId).map((e) => e.body.kind)).toEqual(['evidence.recorded']);
    expect(l.listRuns(10)).toHaveLength(1);
    const io = fakeIo();
    expect(await harvestCommand(['reqlog', csv, '--out', out, '--ledger', db, '--run', 'r-nope'], io)).toBe(1);
    expect(io.err()).toContain('no run r-nope in the ledger');
  });

  it('exits 1 with one line and no stack on a bad log, and writes nothing', async () => {
    const csv = file('reqlog.csv', HEADER + '2026-11-23T10:00:01Z,5,200,/a\n2026-11-23T10:00:02Z,abc,200,/a\n');
    const out = join(dir, 'perf.json');
    const io = fakeIo();
    expect(await harvestCommand(['reqlog', csv, '--out', out, '--ledger', join(dir, 'ledger.db')], io)).toBe(1);
    expect(io.err()).toBe(`opscockpit: ${csv} line 3: latency_ms is "abc", not a number\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('exits 2 on 0 samples, after writing and recording the evidence', async () => {
    const csv = file('reqlog.csv', HEADER);
    const out = join(dir, 'perf.json');
    const io = fakeIo();
    expect(await harvestCommand(['reqlog', csv, '--out', out, '--ledger', join(dir, 'ledger.db')], io)).toBe(2);
    expect(io.out()).toContain('p95         n/a');
    expect(io.out().trimEnd().split('\n').at(-1)).toBe('insufficient data: 0 samples');
    expect(readEvidence(out)).toMatchObject({ overall: { samples: 0, p95_ms: null }, version: 1 });
  });

  it('usage mistakes are UsageErrors; --help prints the usage', async () => {
    const csv = file('reqlog.csv', BASIC);
    for (const args of [[], ['access', csv], ['reqlog'], ['reqlog', csv], ['reqlog', csv, '--out', 'x.json', '--window', 'soon'], ['reqlog', csv, '--out', 'x.json', '--error-status', '5000'], ['reqlog', csv, '--out', 'x.json', '--columns', 'when=t'], ['reqlog', csv, '--bogus']])
      await expect(harvestCommand(args, fakeIo()), args.join(' ')).rejects.toBeInstanceOf(UsageError);
    const io = fakeIo();
    expect(await harvestCommand(['--help'], io)).toBe(0);
    expect(io.out()).toMatch(/^Usage: opscockpit harvest reqlog\|judgelog FILE\.csv/);
    expect(parseColumns('ts=time, latency=lat,route=path')).toEqual({ ts: 'time', latency: 'lat', route: 'path' });
  });
});

describe('opscockpit harvest (built binary)', () => {
  it('loads its own bundle only: no Ink, React, YAML, zod or runbook code', async () => {
    // Module hooks log every module the process resolves.
    const log = join(dir, 'modules.log');
    writeFileSync(
      join(dir, 'hooks.mjs'),
      "import { appendFileSync } from 'node:fs';\n" +
        'export async function resolve(specifier, context, next) {\n' +
        '  const found = await next(specifier, context);\n' +
        `  appendFileSync(${JSON.stringify(log)}, found.url + '\\n');\n` +
        '  return found;\n' +
        '}\n',
    );
    writeFileSync(join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
    const csv = file('reqlog.csv', BASIC);
    const run = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), bin, 'harvest', 'reqlog', csv, '--out', join(dir, 'perf.json'), '--ledger', join(dir, 'l.db')], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const loaded = readFileSync(log, 'utf8').trim().split('\n');
    expect(loaded.filter((url) => url.includes('/dist/')).map((url) => url.replace(/.*\/dist\//, ''))).toEqual(['harvest.js']);
    // And that one file holds none of them (they are bundled, so named by their code).
    const bundle = readFileSync(join(root, 'dist', 'harvest.js'), 'utf8');
    for (const marker of ['ZodError', 'YAMLParseError', 'useInput', 'Yoga', 'mdast']) expect(bundle, marker).not.toContain(marker);
  });

  it('exits 0 with the summary, 1 with one line on a bad log, 2 on no samples', async () => {
    const db = join(dir, 'ledger.db');
    const ok = await cli(['harvest', 'reqlog', file('reqlog.csv', BASIC), '--out', 'evidence/latest.json', '--ledger', db], { cwd: dir });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('evidence evidence/latest.json v1 WIP');
    expect(ok.stdout).toContain(`sha256      ${sha(readFileSync(join(dir, 'evidence', 'latest.json')))}`);

    const bad = await cli(['harvest', 'reqlog', file('bad.csv', HEADER + 'soon,5,200,/a\n'), '--out', 'x.json', '--ledger', db], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`opscockpit: ${join(dir, 'bad.csv')} line 2: ts is "soon", not an ISO 8601 time or epoch milliseconds\n`);

    const none = await cli(['harvest', 'judgelog', file('empty.csv', ''), '--out', 'judge.json', '--ledger', db], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('insufficient data: 0 samples');

    const usage = await cli(['harvest', 'reqlog', '--out', 'x.json'], { cwd: dir });
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/^opscockpit: missing the reqlog CSV file\(s\) to harvest\nUsage: opscockpit harvest/);
  });
});
