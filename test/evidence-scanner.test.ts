// Evidence: the byte scanner and the general CSV parser read a log to the same evidence.
import { describe, expect, it } from 'vitest';
import { EvidenceError, harvestFile, type FileRead, type HarvestOptions } from '../src/evidence/harvest.js';
import { useEvidenceDir, T, file, HEADER } from './support/evidence-files.js';

useEvidenceDir();

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
