// Evidence: streaming harvest of request logs into per-window and per-route stats.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EvidenceError, harvestFile, harvestFiles, mergeEvidence } from '../src/evidence/harvest.js';
import { useEvidenceDir, T, dir, file, HEADER, BASIC, reference } from './support/evidence-files.js';

useEvidenceDir();

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
