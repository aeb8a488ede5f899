// SLO judges, the quorum gate and SLO policy files.
import { describe, expect, it } from 'vitest';
import type { EvidenceDoc, EvidenceStats, JudgeResult, SloPolicy } from '../src/engine/gate-types.js';
import { QuorumError, judge, parseQuorum, quorum } from '../src/engine/slo.js';
import type { Verdict } from '../src/engine/types.js';
import { loadSloPolicy, parseSloPolicy } from '../src/evidence/slo-file.js';
import { RunbookError } from '../src/runbook/errors.js';

const stats = (s: Partial<EvidenceStats> = {}): EvidenceStats => ({
  samples: 1000,
  p50_ms: 50,
  p90_ms: 120,
  p95_ms: 180,
  p99_ms: 290,
  error_rate: 0.004,
  ...s,
});
const evidence = (overall: Partial<EvidenceStats> = {}, routes?: Record<string, EvidenceStats>): EvidenceDoc => ({
  schema: 'opscockpit.evidence/v1',
  kind: 'reqlog',
  overall: stats(overall),
  windows: [],
  ...(routes ? { routes } : {}),
});
const infra: SloPolicy = { name: 'infra', p95_ms_max: 250, p99_ms_max: 300, error_rate_max: 0.01, min_samples: 500 };

describe('judge', () => {
  it('is GO when every criterion holds, listing each with value, threshold, op and verdict', () => {
    const r = judge(infra, evidence());
    expect(r.verdict).toBe('GO');
    expect(r.reasons).toEqual([]);
    expect(r.criteria).toEqual([
      { name: 'samples', value: 1000, threshold: 500, op: '>=', verdict: 'GO' },
      { name: 'p95_ms', value: 180, threshold: 250, op: '<=', verdict: 'GO' },
      { name: 'p99_ms', value: 290, threshold: 300, op: '<=', verdict: 'GO' },
      { name: 'error_rate', value: 0.004, threshold: 0.01, op: '<=', verdict: 'GO' },
    ]);
  });

  it('passes a value equal to its limit (<=) and a sample count equal to min_samples (>=)', () => {
    const r = judge(infra, evidence({ samples: 500, p95_ms: 250, p99_ms: 300, error_rate: 0.01 }));
    expect(r.verdict).toBe('GO');
  });

  it('is NO-GO with the reason in words when a limit is exceeded', () => {
    const r = judge(infra, evidence({ p99_ms: 412, error_rate: 0.021 }));
    expect(r.verdict).toBe('NO-GO');
    expect(r.reasons).toEqual(['p99 412 ms > 300 ms', 'error rate 2.1% > 1%']);
    expect(r.criteria.find((c) => c.name === 'p99_ms')).toEqual({ name: 'p99_ms', value: 412, threshold: 300, op: '<=', verdict: 'NO-GO' });
    expect(r.criteria.find((c) => c.name === 'p95_ms')?.verdict).toBe('GO');
  });

  it('is INSUFFICIENT, never GO, with fewer samples than min_samples', () => {
    const r = judge(infra, evidence({ samples: 120 }));
    expect(r.verdict).toBe('INSUFFICIENT');
    expect(r.reasons).toEqual(['samples 120 < 500 required']);
    expect(r.criteria[0]).toEqual({ name: 'samples', value: 120, threshold: 500, op: '>=', verdict: 'INSUFFICIENT' });
  });

  it('is INSUFFICIENT with zero samples even without min_samples', () => {
    const r = judge({ name: 'bare', p95_ms_max: 250 }, evidence({ samples: 0, p95_ms: null, p99_ms: null, error_rate: null }));
    expect(r.verdict).toBe('INSUFFICIENT');
    expect(r.reasons).toEqual(['no samples']);
    expect(r.criteria).toEqual([
      { name: 'samples', value: 0, threshold: 1, op: '>=', verdict: 'INSUFFICIENT' },
      { name: 'p95_ms', value: null, threshold: 250, op: '<=', verdict: 'INSUFFICIENT' },
    ]);
    // A policy with no limits at all still needs one sample.
    expect(judge({ name: 'empty' }, evidence({ samples: 0 })).verdict).toBe('INSUFFICIENT');
    expect(judge({ name: 'empty' }, evidence({ samples: 1 })).verdict).toBe('GO');
  });

  it('lets a failing criterion win over too few samples (NO-GO, not INSUFFICIENT)', () => {
    const r = judge(infra, evidence({ samples: 40, p99_ms: 900 }));
    expect(r.verdict).toBe('NO-GO');
    expect(r.reasons).toEqual(['samples 40 < 500 required', 'p99 900 ms > 300 ms']);
  });

  it('is INSUFFICIENT when the evidence lacks a metric the policy limits', () => {
    const r = judge(infra, evidence({ p99_ms: null }));
    expect(r.verdict).toBe('INSUFFICIENT');
    expect(r.reasons).toEqual(['p99 missing from the evidence']);
  });

  it('judges the route named by the policy, not the overall numbers', () => {
    const doc = evidence({ p99_ms: 900 }, { '/billing/charge': stats({ samples: 600, p99_ms: 250 }) });
    expect(judge({ ...infra, route: '/billing/charge' }, doc).verdict).toBe('GO');
    expect(judge(infra, doc).verdict).toBe('NO-GO');
    const slowRoute = evidence({}, { '/billing/charge': stats({ samples: 600, p95_ms: 260 }) });
    expect(judge({ ...infra, route: '/billing/charge' }, slowRoute).reasons).toEqual(['p95 260 ms > 250 ms']);
  });

  it('is INSUFFICIENT for a route the evidence does not have', () => {
    for (const doc of [evidence({}, { '/judge': stats() }), evidence()]) {
      const r = judge({ ...infra, route: '/billing/charge' }, doc);
      expect(r.verdict).toBe('INSUFFICIENT');
      expect(r.reasons).toEqual(['no samples for route /billing/charge']);
    }
  });

  it('is NO-GO "evidence tampered" when the evidence changed, whatever the numbers', () => {
    const r = judge(infra, evidence(), { tampered: true });
    expect(r.verdict).toBe('NO-GO');
    expect(r.reasons).toEqual(['evidence tampered']);
    expect(r.criteria.at(-1)).toEqual({ name: 'tampered', value: true, threshold: false, op: '==', verdict: 'NO-GO' });
    expect(judge(infra, evidence({ samples: 3 }), { tampered: true }).verdict).toBe('NO-GO');
    const clean = judge(infra, evidence(), { tampered: false });
    expect(clean.verdict).toBe('GO');
    expect(clean.criteria.at(-1)).toEqual({ name: 'tampered', value: false, threshold: false, op: '==', verdict: 'GO' });
    // Nobody checked: no criterion at all.
    expect(judge(infra, evidence()).criteria.some((c) => c.name === 'tampered')).toBe(false);
  });
});

describe('quorum', () => {
  const j = (policy: string, verdict: Verdict): JudgeResult => ({ policy, verdict, criteria: [], reasons: verdict === 'GO' ? [] : [`${verdict} reason`] });
  const q = (...vs: Verdict[]) => quorum(vs.map((v, i) => j(`j${i + 1}`, v)), 2, 3);

  it.each<[Verdict[], Verdict, number]>([
    [['GO', 'GO', 'GO'], 'GO', 3],
    [['GO', 'GO', 'NO-GO'], 'GO', 2],
    [['GO', 'GO', 'INSUFFICIENT'], 'GO', 2],
    [['GO', 'NO-GO', 'NO-GO'], 'NO-GO', 1],
    [['NO-GO', 'NO-GO', 'INSUFFICIENT'], 'NO-GO', 0],
    [['NO-GO', 'NO-GO', 'NO-GO'], 'NO-GO', 0],
    [['GO', 'NO-GO', 'INSUFFICIENT'], 'INSUFFICIENT', 1],
    [['GO', 'INSUFFICIENT', 'INSUFFICIENT'], 'INSUFFICIENT', 1],
    [['NO-GO', 'INSUFFICIENT', 'INSUFFICIENT'], 'INSUFFICIENT', 0],
    [['INSUFFICIENT', 'INSUFFICIENT', 'INSUFFICIENT'], 'INSUFFICIENT', 0],
  ])('2/3 of %j → %s', (verdicts, expected, passed) => {
    const r = q(...verdicts);
    expect(r.verdict).toBe(expected);
    expect(r).toMatchObject({ required: 2, total: 3, passed });
    expect(r.judges.map((x) => x.verdict)).toEqual(verdicts);
  });

  it('says why in words, naming the judges that did not pass', () => {
    expect(q('GO', 'GO', 'NO-GO').reasons).toEqual(['2 of 3 judges GO, 2 required', 'j3: NO-GO reason']);
    expect(q('GO', 'NO-GO', 'NO-GO').reasons[0]).toBe('1 of 3 judges GO, 2 required: 2 NO-GO, the quorum can no longer be reached');
    expect(q('GO', 'NO-GO', 'INSUFFICIENT').reasons).toEqual([
      '1 of 3 judges GO, 2 required: 1 without enough data could still decide it',
      'j2: NO-GO reason',
      'j3: INSUFFICIENT reason',
    ]);
  });

  it('takes n from the judges and refuses a quorum that does not fit them', () => {
    expect(quorum([j('a', 'GO')], 1).verdict).toBe('GO');
    expect(() => quorum([j('a', 'GO')], 2)).toThrow(QuorumError);
    expect(() => quorum([j('a', 'GO'), j('b', 'GO')], 0)).toThrow(/at least 1/);
    expect(() => quorum([j('a', 'GO'), j('b', 'GO')], 2, 3)).toThrow('quorum 2/3 needs 3 judges (one SLO policy each), 2 given');
  });
});

describe('parseQuorum', () => {
  it('reads K/N', () => {
    expect(parseQuorum('2/3')).toEqual({ k: 2, n: 3 });
    expect(parseQuorum(' 3 / 3 ', 3)).toEqual({ k: 3, n: 3 });
    expect(parseQuorum('1/1', 1)).toEqual({ k: 1, n: 1 });
  });

  it.each([
    ['two of three', 'quorum must look like K/N (K of N judges must pass), e.g. 2/3, not "two of three"'],
    ['2', 'quorum must look like K/N'],
    ['2/3/4', 'quorum must look like K/N'],
    ['-1/3', 'quorum must look like K/N'],
    ['0/3', 'a quorum needs at least 1 judge to pass, not 0'],
    ['4/3', 'quorum 4/3 asks more judges to pass than there are: K must not exceed N'],
  ])('refuses %j', (text, message) => {
    expect(() => parseQuorum(text)).toThrow(QuorumError);
    expect(() => parseQuorum(text)).toThrow(message);
  });

  it('wants N to be the number of judges given', () => {
    expect(() => parseQuorum('2/3', 2)).toThrow('quorum 2/3 needs 3 judges (one SLO policy each), 2 given');
  });
});

describe('SLO policy files', () => {
  const problems = (text: string, file = 'configs/slo/infra.json') => {
    try {
      parseSloPolicy(text, file);
    } catch (e) {
      expect(e).toBeInstanceOf(RunbookError);
      return e as RunbookError;
    }
    throw new Error('expected a RunbookError');
  };

  it('loads the fixtures (JSON and YAML)', () => {
    expect(loadSloPolicy('fixtures/slo/slo-judge-infra.json')).toEqual({
      name: 'slo-judge-infra',
      p95_ms_max: 250,
      p99_ms_max: 500,
      error_rate_max: 0.01,
      min_samples: 500,
      file: 'fixtures/slo/slo-judge-infra.json',
    });
    expect(loadSloPolicy('fixtures/slo/slo-billing-strict-v2.json')).toMatchObject({ name: 'slo-billing-strict-v2', route: '/billing/charge' });
    expect(loadSloPolicy('fixtures/slo/slo-latency-loose.yaml')).toEqual({
      name: 'slo-latency-loose',
      p95_ms_max: 400,
      p99_ms_max: 800,
      min_samples: 100,
      file: 'fixtures/slo/slo-latency-loose.yaml',
    });
  });

  it('needs only a name', () => {
    expect(parseSloPolicy('name: bare\n', 'bare.yaml')).toEqual({ name: 'bare', file: 'bare.yaml' });
  });

  it('names file, line and column of an unknown field, with did-you-mean', () => {
    const e = problems('{\n  "name": "infra",\n  "p95ms_max": 250,\n  "min_sample": 10\n}\n');
    expect(e.issues.map((i) => [i.line, i.column, i.path, i.message])).toEqual([
      [3, 3, 'p95ms_max', 'unknown field "p95ms_max" — did you mean "p95_ms_max"?'],
      [4, 3, 'min_sample', 'unknown field "min_sample" — did you mean "min_samples"?'],
    ]);
    expect(e.format()).toBe(
      [
        'configs/slo/infra.json: 2 problems',
        '  line 3, column 3  p95ms_max',
        '    unknown field "p95ms_max" — did you mean "p95_ms_max"?',
        '  line 4, column 3  min_sample',
        '    unknown field "min_sample" — did you mean "min_samples"?',
      ].join('\n'),
    );
  });

  it('lists the allowed fields when nothing is close', () => {
    const e = problems('name: x\nburst_max: 3\n', 'slo.yaml');
    expect(e.issues[0]).toMatchObject({ line: 2, column: 1, message: 'unknown field "burst_max"' });
    expect(e.issues[0].hint).toBe('allowed here: name, p95_ms_max, p99_ms_max, error_rate_max, min_samples, route');
  });

  it('explains a percentage given as error_rate_max and a unit on a latency', () => {
    const e = problems('{\n  "name": "infra",\n  "error_rate_max": 2,\n  "p99_ms_max": "300ms"\n}');
    expect(e.issues.map((i) => [i.line, i.column, i.message, i.hint])).toEqual([
      [3, 21, 'error_rate_max is a fraction from 0 to 1, not a percentage', 'write 0.02 for 2%'],
      [4, 17, 'p99_ms_max is a number of milliseconds, without a unit', 'write p99_ms_max: 300'],
    ]);
  });

  it('reports wrong types, bad numbers and a missing name with their places', () => {
    const e = problems('p99_ms_max: fast\nmin_samples: 0.5\np95_ms_max: -1\nroute: ""\n', 'loose.yaml');
    expect(e.issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`)).toEqual([
      '1:1 name: missing required field "name"',
      '1:13 p99_ms_max: expected a number, got "fast"',
      '2:14 min_samples: expected a whole number, got 0.5',
      '3:13 p95_ms_max: must be at least 0',
      '4:8 route: must not be empty',
    ]);
  });

  it('places JSON syntax errors', () => {
    const e = problems('{\n  "name": "infra",\n  "p95_ms_max": 250,,\n}');
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]).toMatchObject({ line: 3, column: 21 });
    expect(e.issues[0].message).toMatch(/^JSON syntax: /);
    const dup = problems('name: a\nname: b\n', 'dup.yaml');
    expect(dup.issues[0]).toMatchObject({ line: 2, column: 1, message: 'YAML syntax: Map keys must be unique' });
  });

  it('says so when the file is missing, empty or not a map', () => {
    expect(() => loadSloPolicy('fixtures/slo/nope.json')).toThrow('fixtures/slo/nope.json: 1 problem\n  cannot read the SLO policy: no such file\n  hint: check the path');
    expect(problems('').issues[0].message).toBe('the SLO policy file is empty');
    expect(problems('[1, 2]').issues[0].message).toBe('expected a map of fields, got a list');
  });
});
