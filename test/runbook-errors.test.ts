// Runbook errors point at the file, line and field, with a hint of what to write instead.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunbookError } from '../src/runbook/errors.js';
import { loadRunbook, parseRunbook } from '../src/runbook/load.js';
import type { HttpCheck } from '../src/runbook/model.js';
import { FILE, HEAD, issuesOf, onlyIssue, yaml } from './support/runbook-text.js';

describe('errors point at the line and field', () => {
  it('unknown field, with did-you-mean', () => {
    const issue = onlyIssue(
      yaml(...HEAD, 'checks:', '  readyz:', '    http:', '      target: app', '      timout: 2s'),
    );
    expect(issue).toMatchObject({
      file: FILE,
      line: 9,
      column: 7,
      path: 'checks.readyz.http.timout',
      message: 'unknown field "timout" — did you mean "timeout"?',
    });
  });

  it('unknown field without a near match lists the allowed fields', () => {
    const issue = onlyIssue(yaml(...HEAD, 'owner: sre'));
    expect(issue).toMatchObject({ line: 5, column: 1, path: 'owner', message: 'unknown field "owner"' });
    expect(issue.hint).toContain('checklists');
  });

  it('missing required field points at the map that lacks it', () => {
    const issue = onlyIssue(yaml(...HEAD, 'checks:', '  readyz:', '    http:', '      path: /readyz'));
    expect(issue).toMatchObject({
      line: 7,
      column: 5,
      path: 'checks.readyz.http.target',
      message: 'missing required field "target"',
    });
  });

  it('missing version', () => {
    const issue = onlyIssue(yaml('# a comment', 'name: x'));
    expect(issue).toMatchObject({ line: 2, path: 'version', message: 'missing required field "version"' });
  });

  it('wrong type', () => {
    const issue = onlyIssue(yaml(...HEAD, 'checks:', '  readyz:', '    http:', '      target: app', '      etag: "yes"'));
    expect(issue).toMatchObject({
      line: 9,
      column: 13,
      path: 'checks.readyz.http.etag',
      message: 'expected true or false, got "yes"',
    });
  });

  it('a number where text is expected suggests quoting', () => {
    const issue = onlyIssue(
      yaml(...HEAD, 'checks:', '  c:', '    script:', '      command: ./c.sh', '      env:', '        MAX_SKEW_MS: 500'),
    );
    expect(issue).toMatchObject({ line: 10, column: 22, path: 'checks.c.script.env.MAX_SKEW_MS', hint: 'quote it: "500"' });
  });

  it('wrong enum value, with did-you-mean', () => {
    const issue = onlyIssue(yaml(...HEAD, 'checks:', '  c:', '    http: { target: app, method: get }'));
    expect(issue).toMatchObject({ line: 7, path: 'checks.c.http.method' });
    expect(issue.message).toContain('did you mean "GET"?');
  });

  it('bad duration', () => {
    const issue = onlyIssue(yaml(...HEAD, 'checks:', '  readyz:', '    every: 2 seconds', '    http: { target: app }'));
    expect(issue).toMatchObject({ line: 7, column: 12, path: 'checks.readyz.every' });
    expect(issue.message).toMatch(/not a duration/);
  });

  it('duration of the wrong type', () => {
    const issue = onlyIssue(yaml(...HEAD, 'checks:', '  readyz:', '    every: [1s]', '    http: { target: app }'));
    expect(issue).toMatchObject({ line: 7, path: 'checks.readyz.every' });
    expect(issue.message).toMatch(/^expected a duration/);
  });

  it('unknown check reference, with suggestion', () => {
    const issue = onlyIssue(
      yaml(
        ...HEAD,
        'checks:',
        '  readyz:',
        '    http: { target: app, path: /readyz }',
        'checklists:',
        '  preflight:',
        '    - id: ready',
        '      check: redyz',
      ),
    );
    expect(issue).toMatchObject({
      line: 11,
      column: 14,
      path: 'checklists.preflight[0].check',
      message: 'no check named "redyz" — did you mean "readyz"?',
    });
  });

  it('undeclared secret reference, at the reference itself', () => {
    const issue = onlyIssue(
      yaml(
        ...HEAD,
        'secrets: [DEMO_TOKEN]',
        'checks:',
        '  trends:',
        '    http:',
        '      target: app',
        '      headers:',
        '        Authorization: Bearer ${OPS_TOKEN}',
      ),
    );
    expect(issue).toMatchObject({
      line: 11,
      column: 31,
      path: 'checks.trends.http.headers.Authorization',
      message: 'OPS_TOKEN is not declared under secrets:',
    });
  });

  it('undeclared secrets in bodies and script env', () => {
    const issues = issuesOf(
      yaml(
        ...HEAD,
        'actions:',
        '  notify:',
        '    http: { target: app, body: { token: "${SLACK_TOKEN}" } }',
        '  run:',
        '    script: { command: ./run.sh, env: { DSN: "${POSTGRES_DSN_PROD}" } }',
      ),
    );
    expect(issues.map((i) => [i.line, i.path, i.message])).toEqual([
      [7, 'actions.notify.http.body.token', 'SLACK_TOKEN is not declared under secrets:'],
      [9, 'actions.run.script.env.DSN', 'POSTGRES_DSN_PROD is not declared under secrets:'],
    ]);
  });

  it('secrets need not be set at load time', () => {
    const rb = parseRunbook(
      yaml(...HEAD, 'secrets: [DEMO_TOKEN]', 'checks:', '  c:', '    http: { target: app, headers: { X-Token: "${DEMO_TOKEN}" } }'),
      FILE,
      {},
    );
    expect((rb.checks.c as HttpCheck).headers['X-Token']).toBe('${DEMO_TOKEN}');
  });

  it('unknown target', () => {
    const issue = onlyIssue(
      yaml(...HEAD, 'actions:', '  promote:', '    http:', '      target: ap', '      path: /promote'),
    );
    expect(issue).toMatchObject({
      line: 8,
      column: 15,
      path: 'actions.promote.http.target',
      message: 'no target named "ap" — did you mean "app"?',
    });
  });

  it('unset ${VAR} without default', () => {
    const issue = onlyIssue(
      yaml('version: 1', 'name: x', 'targets:', '  app: http://127.0.0.1:8080', '  api: https://${API_HOST}/v1'),
      { API_HOST: '' },
    );
    expect(issue).toMatchObject({
      line: 5,
      column: 16,
      path: 'targets.api',
      message: 'environment variable API_HOST is not set',
    });
    expect(issue.hint).toContain('${API_HOST:-');
  });

  it('a target that does not resolve to an http(s) URL', () => {
    const issue = onlyIssue(yaml('version: 1', 'name: x', 'targets:', '  app: ${APP:-localhost:8080}'));
    expect(issue).toMatchObject({ line: 4, path: 'targets.app' });
    expect(issue.message).toContain('must be an http:// or https:// URL');
  });

  it('duplicate step id', () => {
    const issue = onlyIssue(
      yaml(...HEAD, 'checklists:', '  postflight:', '    - id: smoke', '    - id: health', '    - id: smoke', '      title: again'),
    );
    expect(issue).toMatchObject({
      line: 9,
      column: 11,
      path: 'checklists.postflight[2].id',
      message: 'duplicate step id "smoke" — already used at line 7',
    });
  });

  it('the same step id in different phases is fine', () => {
    const rb = parseRunbook(
      yaml(...HEAD, 'checklists:', '  preflight: [{ id: smoke }]', '  postflight: [{ id: smoke }]'),
      FILE,
      {},
    );
    expect(rb.checklists.preflight[0].id).toBe(rb.checklists.postflight[0].id);
  });

  it('manual with a check', () => {
    const issue = onlyIssue(
      yaml(
        ...HEAD,
        'checks:',
        '  up: { http: { target: app } }',
        'checklists:',
        '  preflight:',
        '    - id: up',
        '      check: up',
        '      manual: true',
      ),
    );
    expect(issue).toMatchObject({ line: 11, column: 7, path: 'checklists.preflight[0].manual' });
  });

  it('a check with both http and script, and one with neither', () => {
    const issues = issuesOf(
      yaml(...HEAD, 'checks:', '  both:', '    http: { target: app }', '    script: { command: x }', '  neither:', '    title: t'),
    );
    expect(issues.map((i) => [i.line, i.path])).toEqual([
      [8, 'checks.both.script'],
      [9, 'checks.neither'],
    ]);
  });

  it('key clash with a reserved key', () => {
    const issue = onlyIssue(
      yaml(...HEAD, 'actions:', '  abort:', '    key: q', '    script: { command: ./abort.sh }'),
    );
    expect(issue).toMatchObject({
      line: 7,
      column: 10,
      path: 'actions.abort.key',
      message: 'key "q" is reserved by the cockpit',
    });
  });

  it('key clash between actions', () => {
    const issue = onlyIssue(
      yaml(
        ...HEAD,
        'actions:',
        '  abort:',
        '    key: a',
        '    script: { command: ./abort.sh }',
        '  annotate:',
        '    key: a',
        '    script: { command: ./annotate.sh }',
      ),
    );
    expect(issue).toMatchObject({
      line: 10,
      path: 'actions.annotate.key',
      message: 'key "a" is already used by action "abort"',
    });
  });

  it('a key longer than one character', () => {
    const issue = onlyIssue(yaml(...HEAD, 'actions:', '  abort:', '    key: ab', '    script: { command: x }'));
    expect(issue).toMatchObject({ line: 7, path: 'actions.abort.key', message: 'a key must be a single character' });
  });

  it('YAML syntax error with its line', () => {
    const issue = onlyIssue(yaml(...HEAD, 'checks:', '  readyz:', '    title: a', '   every: 1s'));
    expect(issue.line).toBe(8);
    expect(issue.message).toMatch(/^YAML syntax: /);
  });

  it('unclosed quote is reported where it opens', () => {
    const issue = onlyIssue(yaml(...HEAD, 'checks:', '  readyz:', '    title: "Judge readiness', '    every: 1s'));
    expect(issue).toMatchObject({ line: 7, column: 12 });
    expect(issue.message).toContain('missing closing " quote');
  });

  it('duplicate YAML keys', () => {
    const issue = onlyIssue(yaml(...HEAD, 'checks: {}', 'checks: {}'));
    expect(issue.line).toBe(6);
    expect(issue.message).toContain('unique');
  });

  it('a key named __proto__, as a check, action, param or anywhere, instead of vanishing', () => {
    const issues = issuesOf(yaml(
      ...HEAD,
      'params:', '  __proto__: { description: x }',
      'checks:', '  __proto__:', '    title: Sneaky', '    http: { target: app, path: /x }',
      'actions:', '  __proto__:', '    title: A', '    script: { command: ./x.sh, env: { __proto__: y } }',
    ));
    const protoKey = '"__proto__" cannot be a key: choose another name';
    expect(issues.map((i) => [i.line, i.column, i.message])).toEqual([[6, 3, protoKey], [8, 3, protoKey], [12, 3, protoKey], [14, 39, protoKey]]);
    // An alias whose anchor holds __proto__, used as a key, is the same key.
    const alias = issuesOf(yaml(...HEAD, 'description: &k __proto__', 'checks:', '  *k : { title: X, http: { target: app, path: /x } }', '  ok: { title: Y, http: { target: app, path: /y } }'));
    expect(alias.map((i) => [i.line, i.column, i.message])).toEqual([[7, 3, protoKey]]);
    const listAlias = issuesOf(yaml(...HEAD, 'description: x', 'tags: &t [a]', 'checks:', '  *t : { title: X }'));
    expect(listAlias.map((i) => [i.line, i.message])).toEqual([[8, 'a key is a name, not a list or a map']]);
    // A list or a map as a key is refused too (yaml would make it text, with a warning on stderr).
    expect(issuesOf(yaml(...HEAD, 'checks:', '  ? [__proto__]', '  : { title: X }')).map((i) => [i.line, i.column, i.message])).toEqual([[6, 5, 'a key is a name, not a list or a map']]);
    // Named where a name is expected (a step's check), it is refused there.
    const ref = issuesOf(yaml(...HEAD, 'checklists:', '  preflight:', '    - { id: s1, title: Step, check: __proto__ }'));
    expect(ref[0]).toMatchObject({ line: 7, path: 'checklists.preflight[0].check', message: '"__proto__" cannot be a name: choose another' });
  });

  it('empty file', () => {
    expect(onlyIssue('# nothing here\n').message).toBe('the runbook is empty');
  });

  it('missing file', () => {
    let error: unknown;
    try {
      loadRunbook('fixtures/runbooks/does-not-exist.yaml', {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RunbookError);
    const e = error as RunbookError;
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]).toMatchObject({ file: 'fixtures/runbooks/does-not-exist.yaml', line: 0, path: '' });
    expect(e.format()).toBe(
      [
        'fixtures/runbooks/does-not-exist.yaml: 1 problem',
        '  cannot read the runbook: no such file',
        '  hint: check the path',
      ].join('\n'),
    );
  });

  it('a directory is not a runbook', () => {
    expect(() => loadRunbook('fixtures/runbooks', {})).toThrow(RunbookError);
  });
});
