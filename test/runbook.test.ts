import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunbook, parseRunbook } from '../src/runbook/load.js';
import type { HttpCheck, ScriptCheck } from '../src/runbook/model.js';
import { runbookJsonSchema } from '../src/runbook/schema.js';
import { FILE, HEAD, errorOf, issuesOf, yaml } from './support/runbook-text.js';

const DEMO = 'fixtures/runbooks/demo.yaml';

describe('demo runbook', () => {
  const demoLine = (needle: string) =>
    readFileSync(DEMO, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(needle)) + 1;

  it('loads with defaults when OPSCOCKPIT_DEMO_URL is unset', () => {
    const rb = loadRunbook(DEMO, {});
    expect(rb.file).toBe(path.resolve(DEMO));
    expect(rb.dir).toBe(path.resolve('fixtures/runbooks'));
    expect(rb.name).toBe('Demo service cutover');
    expect(rb.release).toEqual({ type: 'cutover', branch: 'main' });
    expect(rb.targets).toEqual({ app: 'http://127.0.0.1:8080' });
    expect(rb.secrets).toEqual(['DEMO_TOKEN']);
    expect(Object.keys(rb.checks)).toEqual(['readyz', 'health', 'reason-trends', 'clock-skew']);

    const readyz = rb.checks.readyz as HttpCheck;
    expect(readyz).toEqual({
      kind: 'http',
      name: 'readyz',
      title: 'Judge readiness (/readyz)',
      target: 'app',
      url: 'http://127.0.0.1:8080/readyz',
      method: 'GET',
      headers: {},
      timeoutMs: 2000,
      expect: { status: [200], json: { status: 'ready' }, jsonIn: {}, contains: [] },
      etag: false,
      everyMs: 1000,
      maxBodyBytes: 1024 * 1024,
    });

    const health = rb.checks.health as HttpCheck;
    expect(health.expect.maxLatencyMs).toBe(1500);
    expect(health.expect.json).toEqual({ ok: true });
    expect(health.everyMs).toBe(2000);

    const trends = rb.checks['reason-trends'] as HttpCheck;
    expect(trends.etag).toBe(true);
    expect(trends.url).toBe('http://127.0.0.1:8080/ops/cards/reason-trends');
    // Secrets stay templates: read at the moment of use, not at load time.
    expect(trends.headers).toEqual({ Authorization: 'Bearer ${DEMO_TOKEN}' });
    expect(trends.everyMs).toBe(3000);

    const clock = rb.checks['clock-skew'] as ScriptCheck;
    expect(clock).toEqual({
      kind: 'script',
      name: 'clock-skew',
      title: 'Clock skew within SLA',
      command: path.resolve('fixtures/scripts/clock_guard.sh'),
      args: [],
      cwd: path.resolve('fixtures/runbooks'),
      env: { MAX_SKEW_MS: '500' },
      timeoutMs: 5000,
      maxOutputBytes: 1024 * 1024,
      exitCodes: { 0: 'healthy', 1: 'error', 2: 'unhealthy' },
      insufficientPattern: 'status=insufficient_data',
      everyMs: 10_000,
    });
    expect(path.isAbsolute(clock.command)).toBe(true);
  });

  it('normalises the checklists with step lines', () => {
    const rb = loadRunbook(DEMO, {});
    const pre = rb.checklists.preflight;
    expect(pre.map((s) => s.id)).toEqual(['rbac', 'clock', 'ready', 'ops-cards', 'notes']);
    expect(pre[0]).toEqual({
      id: 'rbac',
      title: 'RBAC scopes minimised (ops:read, deploy:abort only)',
      blocking: true,
      line: demoLine('- id: rbac'),
    });
    expect(pre[1]).toMatchObject({ id: 'clock', check: 'clock-skew', blocking: true, line: demoLine('- id: clock') });
    expect(pre[2].check).toBe('readyz');
    expect(pre[3].check).toBe('reason-trends');
    expect(pre[4]).toMatchObject({ id: 'notes', blocking: false });
    expect(pre[4].check).toBeUndefined();
    expect(rb.checklists.postflight.map((s) => [s.id, s.check])).toEqual([
      ['health', 'health'],
      ['smoke', undefined],
    ]);
  });

  it('normalises the actions', () => {
    const rb = loadRunbook(DEMO, {});
    expect(Object.keys(rb.actions)).toEqual(['abort', 'rollback', 'promote']);
    expect(rb.actions.abort).toEqual({
      name: 'abort',
      title: 'Abort the cutover (stage back to stable)',
      key: 'a',
      confirm: 'abort',
      dangerous: true,
      scope: 'deploy:abort',
      type: 'abort',
      needsPreflight: false,
      script: {
        command: path.resolve('fixtures/scripts/abort.sh'),
        args: [],
        cwd: path.resolve('fixtures/runbooks'),
        env: {},
        timeoutMs: 30_000,
        maxOutputBytes: 1024 * 1024,
      },
    });
    expect(rb.actions.rollback.key).toBe('R'); // case-sensitive: only lower-case r is reserved
    expect(rb.actions.rollback.script?.timeoutMs).toBe(60_000);
    expect(rb.actions.promote).toMatchObject({ key: 'p', confirm: 'promote', dangerous: true, scope: 'deploy:promote', needsPreflight: true });
    expect(rb.safety).toEqual({ guarded: false, initialMode: 'DRY_RUN', windowTtlMs: 900_000, approvals: 2, allowlist: undefined });
  });

  it('resolves the target from OPSCOCKPIT_DEMO_URL when it is set', () => {
    const rb = loadRunbook(DEMO, { OPSCOCKPIT_DEMO_URL: 'http://10.1.2.3:9999/' });
    expect(rb.targets.app).toBe('http://10.1.2.3:9999');
    expect((rb.checks.readyz as HttpCheck).url).toBe('http://10.1.2.3:9999/readyz');
    expect((rb.checks.health as HttpCheck).url).toBe('http://10.1.2.3:9999/health');
  });

  it('uses the default when OPSCOCKPIT_DEMO_URL is empty', () => {
    expect(loadRunbook(DEMO, { OPSCOCKPIT_DEMO_URL: '' }).targets.app).toBe('http://127.0.0.1:8080');
  });
});

describe('normalisation', () => {
  it('fills in defaults, names inline checks and resolves paths', () => {
    const rb = parseRunbook(
      yaml(
        'version: 1',
        'name: Defaults',
        'release:',
        '  commit_sha: ${GIT_SHA:-}',
        '  backlog_id: ${BACKLOG_ID:-none}',
        'targets:',
        '  api: { url: "https://api.example.test/v2/" }',
        'secrets: [API_TOKEN]',
        'checks:',
        '  root:',
        '    http: { target: api }',
        '  ops-daily:',
        '    every: 1m',
        '    script:',
        '      command: bash',
        '      args: [-c, "exit 2"]',
        '      cwd: ../work',
        '      exitCodes: { 3: insufficient, 2: error }',
        'checklists:',
        '  preflight:',
        '    - id: stop',
        '      title: Emergency stop is off',
        '      check:',
        '        http:',
        '          target: api',
        '          path: api/emergency_stop',
        '          expect: { status: [200, 304], jsonIn: { mode: [MOCK_ONLY, DRY_RUN] }, contains: enabled }',
        '    - id: manual-one',
        'actions:',
        '  stop-now:',
        '    key: x',
        '    http:',
        '      target: api',
        '      path: /api/emergency_stop',
        '      headers: { Authorization: "Bearer ${API_TOKEN}" }',
        '      body: { enabled: true }',
        '  abort:',
        '    script: { command: /usr/local/bin/abort, timeout: 500 }',
      ),
      '/srv/runbooks/ops.yaml',
      { BACKLOG_ID: 'BL-42' },
    );
    expect(rb.file).toBe('/srv/runbooks/ops.yaml');
    expect(rb.release).toEqual({ backlogId: 'BL-42' });
    expect(rb.targets.api).toBe('https://api.example.test/v2');

    const root = rb.checks.root as HttpCheck;
    expect(root).toMatchObject({ title: 'root', url: 'https://api.example.test/v2/', method: 'GET', timeoutMs: 5000, etag: false });
    expect(root.expect).toEqual({ status: [200], json: {}, jsonIn: {}, contains: [] });
    expect(root.everyMs).toBeUndefined();

    const daily = rb.checks['ops-daily'] as ScriptCheck;
    expect(daily.command).toBe('bash'); // bare names stay for PATH lookup
    expect(daily.args).toEqual(['-c', 'exit 2']);
    expect(daily.cwd).toBe('/srv/work');
    expect(daily.timeoutMs).toBe(30_000);
    expect(daily.everyMs).toBe(60_000);
    expect(daily.exitCodes).toEqual({ 0: 'healthy', 1: 'error', 2: 'error', 3: 'insufficient' });

    const inline = rb.checks['preflight.stop'] as HttpCheck;
    expect(inline).toMatchObject({ kind: 'http', name: 'preflight.stop', title: 'Emergency stop is off' });
    expect(inline.url).toBe('https://api.example.test/v2/api/emergency_stop');
    expect(inline.expect).toEqual({
      status: [200, 304],
      json: {},
      jsonIn: { mode: ['MOCK_ONLY', 'DRY_RUN'] },
      contains: ['enabled'],
    });
    expect(rb.checklists.preflight).toEqual([
      { id: 'stop', title: 'Emergency stop is off', check: 'preflight.stop', blocking: true, line: 21 },
      { id: 'manual-one', title: 'manual-one', blocking: true, line: 28 },
    ]);
    expect(rb.checklists.postflight).toEqual([]);

    expect(rb.actions['stop-now']).toEqual({
      name: 'stop-now',
      title: 'stop-now',
      key: 'x',
      confirm: 'stop-now',
      dangerous: false,
      scope: 'deploy:stop-now',
      type: 'stop-now',
      needsPreflight: false,
      http: {
        target: 'api',
        url: 'https://api.example.test/v2/api/emergency_stop',
        method: 'POST',
        headers: { Authorization: 'Bearer ${API_TOKEN}', 'Content-Type': 'application/json' },
        body: '{"enabled":true}',
        timeoutMs: 30_000,
        expectStatus: [200, 201, 202, 204],
      },
    });
    expect(rb.actions.abort).toMatchObject({ dangerous: true, confirm: 'abort' });
    expect(rb.actions.abort.script).toMatchObject({ command: '/usr/local/bin/abort', timeoutMs: 500, cwd: '/srv/runbooks' });
  });

  it('accepts every duration unit', () => {
    const rb = parseRunbook(
      yaml(
        ...HEAD,
        'checks:',
        '  a: { every: 250ms, http: { target: app, timeout: 1.5s, expect: { maxLatency: 2m } } }',
        '  b: { every: 1h, http: { target: app, timeout: 750 } }',
      ),
      FILE,
      {},
    );
    const a = rb.checks.a as HttpCheck;
    const b = rb.checks.b as HttpCheck;
    expect([a.everyMs, a.timeoutMs, a.expect.maxLatencyMs]).toEqual([250, 1500, 120_000]);
    expect([b.everyMs, b.timeoutMs]).toEqual([3_600_000, 750]);
  });
});

describe('several problems at once', () => {
  const text = yaml(
    'version: 1', //                       1
    'name: Broken', //                     2
    'targets:', //                         3
    '  app: ${APP_URL}', //                4  unset, no default
    'secrets: [TOKEN]', //                 5
    'checks:', //                          6
    '  readyz:', //                        7
    '    every: soon', //                  8  bad duration
    '    http:', //                        9
    '      target: app', //                10
    '      timout: 2s', //                 11 unknown field
    '      headers:', //                   12
    '        Authorization: ${TOKN}', //   13 undeclared secret
    'checklists:', //                      14
    '  preflight:', //                     15
    '    - id: ready', //                  16
    '      check: redyz', //               17 unknown check
    '    - id: ready', //                  18 duplicate id
    'actions:', //                         19
    '  abort:', //                         20
    '    key: s', //                       21 reserved key
    '    script: {}', //                   22 missing command
  );

  it('reports all of them, in file order', () => {
    const issues = issuesOf(text);
    expect(issues.map((i) => [i.line, i.path])).toEqual([
      [4, 'targets.app'],
      [8, 'checks.readyz.every'],
      [11, 'checks.readyz.http.timout'],
      [13, 'checks.readyz.http.headers.Authorization'],
      [17, 'checklists.preflight[0].check'],
      [18, 'checklists.preflight[1].id'],
      [21, 'actions.abort.key'],
      [22, 'actions.abort.script.command'],
    ]);
  });

  it('formats them as one readable block without a stack trace', () => {
    const out = errorOf(text).format();
    const lines = out.split('\n');
    expect(lines[0]).toBe(`${FILE}: 8 problems`);
    expect(out).toContain(
      ['  line 11, column 7  checks.readyz.http.timout', '    unknown field "timout" — did you mean "timeout"?'].join('\n'),
    );
    expect(out).toContain(
      ['  line 17, column 14  checklists.preflight[0].check', '    no check named "redyz" — did you mean "readyz"?'].join(
        '\n',
      ),
    );
    expect(out).toContain('    TOKN is not declared under secrets:');
    expect(out).not.toMatch(/^\s+at /m);
    expect(out).not.toContain('    at ');
    expect(errorOf(text).message).toBe(out);
  });
});

describe('runbookJsonSchema', () => {
  it('describes the top-level sections', () => {
    const schema = runbookJsonSchema() as {
      $schema: string;
      title: string;
      description: string;
      properties: Record<string, unknown>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(schema.title).toContain('runbook');
    expect(schema.description).toBeTruthy();
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['version', 'name', 'targets', 'secrets', 'checks', 'checklists', 'actions']),
    );
    expect(schema.required).toEqual(['version', 'name']);
    expect(schema.additionalProperties).toBe(false);
    expect(() => JSON.stringify(schema)).not.toThrow();
  });
});
