// A confirm-first step (a YAML script step with confirm: true, a Markdown shell block) is an
// action: the emergency stop, the operator's scopes, the mode and the allowlist decide it, and
// the decision is on record before anything runs. A run's status follows its last action.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { openLedger } from '../adapters/ledger.js';
import { cli } from './support/cli.js';

const root = mkdtempSync(join(tmpdir(), 'oc-steps-controls-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dir: string;
let n = 0;
beforeEach(() => {
  dir = join(root, `case-${n++}`);
  mkdirSync(dir);
});

const marker = () => join(dir, 'ran');
const ledger = () => join(dir, 'ledger.db');
const kinds = (runId?: string) => {
  const l = openLedger(ledger());
  try {
    const run = runId ?? l.listRuns(5).find((r) => r.runbook !== '(safety controls)')!.runId;
    return l.events(run).map((e) => e.body);
  } finally {
    l.close();
  }
};
const runs = () => {
  const l = openLedger(ledger());
  try {
    return l.listRuns(10).filter((r) => r.runbook !== '(safety controls)');
  } finally {
    l.close();
  }
};

function markdown(): string {
  const file = join(dir, 'deploy.md');
  writeFileSync(file, `# Deploy\n\n## Before the change\n\n- [ ] Restart the service\n\n  \`\`\`bash\n  touch ${marker()}\n  \`\`\`\n`);
  return file;
}

function yaml(extra = ''): string {
  const file = join(dir, 'deploy.yaml');
  writeFileSync(file, ['version: 1', 'name: deploy', 'checklists:', '  preflight:', '    - id: restart', '      title: Restart the service', '      confirm: true', `      check: { script: { command: /bin/touch, args: [${marker()}] } }`, extra].join('\n') + '\n');
  return file;
}

const run = (file: string, scopes: string | undefined, ...more: string[]) =>
  cli(['run', file, '--yes', '--ledger', ledger(), ...more], { env: scopes === undefined ? { OPSCOCKPIT_OPERATOR: 'alice' } : { OPSCOCKPIT_OPERATOR: 'alice', OPSCOCKPIT_ALLOW_SCOPES: scopes } });

describe('the emergency stop', () => {
  for (const [kind, make] of [['a Markdown bash block', markdown], ['a YAML step with confirm: true', () => yaml()]] as const) {
    it(`refuses ${kind} in run --yes, on record, and nothing runs`, async () => {
      const file = make();
      expect((await cli(['stop', 'on', '--reason', 'incident 42', '--ledger', ledger()], { env: { OPSCOCKPIT_OPERATOR: 'bob' } })).code).toBe(0);
      const r = await run(file, 'run:steps');
      expect(r.code).toBe(3);
      expect(r.stderr + r.stdout).toMatch(/STOPPED/);
      expect(existsSync(marker())).toBe(false);
      const events = kinds();
      expect(events).toContainEqual(expect.objectContaining({ kind: 'action.refused', failure: 'STOPPED' }));
      expect(events.some((e) => e.kind === 'step.started')).toBe(false);
      expect(runs()[0].status).toBe('failed');
    });
  }
});

describe('scopes', () => {
  it('no scopes is read-only: the step is refused SCOPE_MISSING', async () => {
    const r = await run(markdown(), undefined);
    expect(r.code).toBe(3);
    expect(existsSync(marker())).toBe(false);
    expect(kinds()).toContainEqual(expect.objectContaining({ kind: 'action.refused', failure: 'SCOPE_MISSING', reason: expect.stringContaining('needs scope run:steps') }));
  });

  it('run:steps lets it run: intent, result and outcome on record, in that order', async () => {
    const r = await run(markdown(), 'run:steps');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(marker())).toBe(true);
    const order = kinds().map((e) => e.kind).filter((k) => k.startsWith('action.') || k.startsWith('step.') || k === 'run.completed');
    expect(order).toEqual(['action.requested', 'step.started', 'step.result', 'action.completed', 'run.completed']);
    expect(runs()[0].status).toBe('succeeded');
  });

  it('a step that names its own scope needs that scope, not run:steps', async () => {
    const file = yaml('      scope: db:restart');
    expect((await run(file, 'run:steps')).code).toBe(3);
    expect(existsSync(marker())).toBe(false);
    expect((await run(file, 'db:restart')).code).toBe(0);
    expect(existsSync(marker())).toBe(true);
  });
});

describe('mode and allowlist', () => {
  it('DRY_RUN shows the step and runs nothing; the allowlist names the type "step"', async () => {
    const guarded = (mode: string, allow: string) => yaml(`safety:\n  mode: ${mode}\n  allowlist: [${allow}]`);
    let r = await run(guarded('DRY_RUN', 'step'), 'run:steps');
    expect(r.code).toBe(3);
    expect(existsSync(marker())).toBe(false);
    expect(kinds()).toContainEqual(expect.objectContaining({ kind: 'action.completed', status: 'dry-run', reason: expect.stringContaining(`would run: /bin/touch ${marker()}`) }));
    r = await run(guarded('DRY_RUN', 'abort'), 'run:steps');
    expect(r.code).toBe(3);
    expect(kinds()).toContainEqual(expect.objectContaining({ kind: 'action.refused', failure: 'ALLOWLIST_VIOLATION' }));
  });
});

describe("a run's status follows its last action", () => {
  it('an action that fails after a preflight with nothing after it: the run failed, exit 1', async () => {
    const file = join(dir, 'fail.yaml');
    writeFileSync(file, 'version: 1\nname: fail\nactions:\n  q:\n    title: Quit badly\n    script: { command: /bin/false }\nchecklists:\n  preflight:\n    - { id: ok, check: { script: { command: /bin/true } } }\n');
    const r = await cli(['run', file, '--action', 'q', '--yes', '--ledger', ledger()], { env: { OPSCOCKPIT_ALLOW_SCOPES: 'deploy:q' } });
    expect(r.code).toBe(1);
    expect(runs()[0].status).toBe('failed');
    const completed = kinds().filter((e) => e.kind === 'run.completed');
    expect(completed).toEqual([expect.objectContaining({ status: 'failed' })]);
    const list = await cli(['ledger', '--ledger', ledger()]);
    expect(list.stdout).toMatch(/failed/);
    expect(list.stdout).not.toMatch(/succeeded/);
  });
});

describe("a confirm-first step's check is its own", () => {
  it('a polled check, or one another step uses, cannot be a confirm-first step’s check', async () => {
    const file = join(dir, 'shared.yaml');
    writeFileSync(file, ['version: 1', 'name: shared', 'checks:', '  restart:', '    every: 5s', '    script: { command: /bin/true }', 'checklists:', '  preflight:', '    - { id: a, confirm: true, check: restart }', ''].join('\n'));
    const r = await cli(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('also runs without a person: it is polled (every:)');
    writeFileSync(file, ['version: 1', 'name: shared', 'checks:', '  restart:', '    script: { command: /bin/true }', 'checklists:', '  preflight:', '    - { id: a, confirm: true, check: restart }', '    - { id: b, check: restart }', ''].join('\n'));
    expect((await cli(['validate', file])).stderr).toContain('another step uses it too');
  });
});

describe('a run whose last action failed', () => {
  it('does not end as succeeded when its checklist is then finished', async () => {
    const { openSession } = await import('../src/session/session.js');
    const { SqliteStore } = await import('../adapters/sqlite-store.js');
    const { loadRunbook } = await import('../src/runbook/load.js');
    const file = join(dir, 'last-action.yaml');
    writeFileSync(file, 'version: 1\nname: last\nactions:\n  q:\n    title: Fails\n    script: { command: /bin/false }\nchecklists:\n  postflight:\n    - { id: m, title: Look at the dashboards }\n');
    const l = openLedger(ledger());
    const s = await openSession({ runbook: loadRunbook(file, {}), ledger: new SqliteStore(l, ledger()), ledgerPath: ledger(), env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'alice', OPSCOCKPIT_ALLOW_SCOPES: 'deploy:q' } });
    try {
      expect((await s.runAction('q', 'q'))?.status).toBe('failed');
      await s.advance();
      expect(l.getRun(s.runId)?.status).toBe('failed');
    } finally {
      s.stop();
      l.close();
    }
  });
});
