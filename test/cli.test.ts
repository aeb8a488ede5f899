// The headless commands through the built binary: exit codes, JSON, errors without stacks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { startFixtureServer, type FixtureServer } from '../fixtures/server.js';
import { clearFaults, setFault } from '../adapters/fixture-control.js';
import { cli, bin, root } from './support/cli.js';

const SECRET = 'cli-secret-93ab27';
let server: FixtureServer;
let dir: string;
let runbook: string;

beforeAll(async () => {
  server = await startFixtureServer({ port: 0, token: SECRET });
  dir = mkdtempSync(join(tmpdir(), 'oc-cli-'));
  runbook = join(dir, 'cutover.yaml');
  writeFileSync(
    runbook,
    `version: 1
name: CLI cutover
release: { type: cutover, branch: main, commit_sha: abc1234 }
targets:
  app: \${APP_URL:-http://127.0.0.1:1}
secrets: [DEMO_TOKEN]
checks:
  readyz:
    title: Readiness
    http: { target: app, path: /readyz, timeout: 2s, expect: { status: 200, json: { status: ready } } }
  cards:
    title: Ops cards
    http: { target: app, path: /ops/cards/reason-trends, headers: { Authorization: "Bearer \${DEMO_TOKEN}" }, timeout: 2s }
  traffic:
    title: Delivered traffic
    script: { command: bash, args: [-c, 'echo "status=insufficient_data reason=delivered_total_0"; exit 2'] }
checklists:
  preflight:
    - { id: rbac, title: RBAC reviewed, manual: true }
    - { id: ready, check: readyz }
    - { id: cards, check: cards }
  postflight:
    - { id: traffic, check: traffic }
`,
  );
});
afterAll(async () => {
  await server.close();
});

const env = () => ({ APP_URL: server.url, DEMO_TOKEN: SECRET, OPSCOCKPIT_OPERATOR: 'cron' });

describe('opscockpit check', () => {
  it('exits 0 when healthy, prints one JSON document and records the run', async () => {
    const ledger = join(dir, 'ok.db');
    const r = await cli(['check', runbook, '--json', '--ledger', ledger], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schema: 'opscockpit.check/v1', verdict: 'GO', healthy: true, phase: 'preflight', pendingManual: 1 });
    expect(doc.steps.map((s: { id: string; state: string }) => `${s.id}:${s.state}`)).toEqual(['rbac:pending', 'ready:passed', 'cards:passed']);
    const listed = JSON.parse((await cli(['ledger', '--ledger', ledger, '--json'])).stdout);
    expect(listed.runs[0]).toMatchObject({ runId: doc.runId, status: 'succeeded', branch: 'main', commitSha: 'abc1234', releaseType: 'cutover' });
    expect(listed.runs[0].events.map((e: { body: { kind: string } }) => e.body.kind)).toContain('verdict.changed');
    const bytes = readFileSync(ledger);
    expect(bytes.includes(SECRET)).toBe(false);
  });

  it('exits 2 with the reason when a target is unhealthy', async () => {
    await setFault(server.url, { route: '/readyz', status: 503 });
    try {
      const r = await cli(['check', runbook, '--ledger', join(dir, 'bad.db')], { env: env() });
      expect(r.code).toBe(2);
      expect(r.stdout).toContain('NO-GO');
      expect(r.stdout).toMatch(/Readiness: expected 200, got 503/);
    } finally {
      await clearFaults(server.url);
    }
  });

  it('exits 2 for insufficient data (postflight token), and 2 when the target is down', async () => {
    const insufficient = await cli(['check', runbook, '--phase', 'postflight', '--json', '--ledger', join(dir, 'ins.db')], { env: env() });
    expect(insufficient.code).toBe(2);
    expect(JSON.parse(insufficient.stdout)).toMatchObject({ verdict: 'INSUFFICIENT', reasons: [expect.stringContaining('insufficient_data')] });
    const down = await cli(['check', runbook, '--json', '--ledger', join(dir, 'down.db')], { env: { ...env(), APP_URL: 'http://127.0.0.1:1' } });
    expect(down.code).toBe(2);
    expect(JSON.parse(down.stdout).reasons.join('\n')).toMatch(/refused/);
  });

  it('a missing secret is a failed check naming the variable, not a crash', async () => {
    const r = await cli(['check', runbook, '--json', '--ledger', join(dir, 'nosecret.db')], { env: { APP_URL: server.url } });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('DEMO_TOKEN');
  });

  it('exits 1 with a one-screen error naming file, line and field for a bad runbook', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nname: Bad\nchecks:\n  readyz:\n    http:\n      target: app\n      timout: 2s\n');
    const r = await cli(['check', bad, '--ledger', join(dir, 'x.db')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('bad.yaml');
    expect(r.stderr).toMatch(/line 7/);
    expect(r.stderr).toContain('timout');
    expect(r.stderr).toContain('did you mean "timeout"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr.split('\n').length).toBeLessThan(40);
  });

  it('with OPSCOCKPIT_LEDGER_KEY the chain is keyed: verify passes with the key and refuses without it', async () => {
    const ledger = join(dir, 'keyed.db');
    const key = { OPSCOCKPIT_LEDGER_KEY: 'ledger-key-5b2c' };
    expect((await cli(['check', runbook, '--ledger', ledger], { env: { ...env(), ...key } })).code).toBe(0);
    const ok = await cli(['ledger', 'verify', '--ledger', ledger], { env: key });
    expect(ok.code).toBe(0);
    const without = await cli(['ledger', 'verify', '--ledger', ledger]);
    expect(without.code).toBe(1);
    expect(readFileSync(ledger).includes('ledger-key-5b2c')).toBe(false);
  });

  it('exits 1 when the ledger cannot be opened', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'not a folder');
    const r = await cli(['check', runbook, '--ledger', join(file, 'ledger.db')], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('help, version, validate, schema, usage errors', () => {
  it('--help, --version and help for each subcommand', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['open', 'demo', 'check', 'validate', 'schema', 'ledger', 'fixtures']) {
      expect(help.stdout).toContain(c);
      const sub = await cli([c, '--help']);
      expect(sub.code).toBe(0);
      expect(sub.stdout).toMatch(new RegExp(`^Usage: opscockpit ${c === 'open' ? 'open' : c}`));
      expect((await cli(['help', c])).stdout).toBe(sub.stdout);
    }
    expect((await cli(['--version'])).stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });

  it('validate accepts the demo runbook and rejects a broken one with every problem listed', async () => {
    const ok = await cli(['validate', 'fixtures/runbooks/demo.yaml']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('valid');
    const bad = join(dir, 'two-problems.yaml');
    writeFileSync(bad, 'version: 1\nname: Two\nchecks:\n  a:\n    every: soon\n    script: { command: x }\nchecklists:\n  preflight:\n    - { id: s1, check: b }\n');
    const r = await cli(['validate', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 5/);
    expect(r.stderr).toMatch(/line 9/);
    expect(r.stderr).toContain('checklists.preflight[0].check');
  });

  it('schema prints a JSON Schema', async () => {
    const r = await cli(['schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['targets', 'checks', 'checklists', 'actions']));
  });

  it('an unknown option is a usage error with the usage line', async () => {
    const r = await cli(['check', runbook, '--fase', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--fase');
    expect(r.stderr).toContain('Usage: opscockpit check');
  });

  it('an action name the runbook does not declare is refused, a name every object has too (nothing opened)', async () => {
    const ledger = join(dir, 'names.db');
    for (const name of ['nope', 'constructor', '__proto__', 'toString']) {
      for (const args of [['run', runbook, '--yes', '--action', name], ['act', runbook, name, '--yes']]) {
        const r = await cli([...args, '--ledger', ledger]);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain(`the runbook has no action "${name}" (actions: `);
      }
    }
    expect(existsSync(ledger)).toBe(false);
  });

  it('a parameter or choice named like what every object has is unknown like any other name', async () => {
    for (const [flag, word] of [['--param', 'parameter'], ['--choose', 'choice']]) {
      for (const name of ['__proto__', 'constructor']) {
        const r = await cli(['validate', runbook, flag, `${name}=x`]);
        expect(r.code, `${flag} ${name}`).toBe(1);
        expect(r.stderr).toContain(`the runbook has no ${word} "${name}"`);
      }
    }
    const env = await cli(['validate', runbook], { env: { OPSCOCKPIT_CHOOSE: '__proto__=x' } });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('the runbook has no choice "__proto__"');
  });

  it('a step value named __proto__ or constructor reaches the script, from --param or from the environment', async () => {
    const md = join(dir, 'proto-values.md');
    writeFileSync(md, '# P\n\n## Steps\n\n1. Show it\n\n   ```bash\n   echo "VAL=[$__proto__] C=[$constructor]"\n   ```\n');
    const given = await cli(['run', md, '--yes', '--param', '__proto__=hello', '--param', 'constructor=c1', '--ledger', join(dir, 'proto-values.db')], { env: { OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' } });
    expect(given.stdout, given.stderr).toContain('exit 0: VAL=[hello] C=[c1]');
    const fromEnv = await cli(['run', md, '--yes', '--ledger', join(dir, 'proto-values-env.db')], { env: { OPSCOCKPIT_ALLOW_SCOPES: 'run:steps', ['__proto__']: 'fromenv', constructor: 'c2' } });
    expect(fromEnv.stdout, fromEnv.stderr).toContain('exit 0: VAL=[fromenv] C=[c2]');
  });

  it('run --confirm NAME for a step and an action both so named is refused: one name confirms one thing', async () => {
    const file = join(dir, 'twins.yaml');
    writeFileSync(file, "version: 1\nname: Twins\nchecklists:\n  preflight:\n    - { id: deploy, title: Deploy by hand, manual: true }\nactions:\n  deploy: { title: Deploy, script: { command: 'true' } }\n");
    const r = await cli(['run', file, '--yes', '--confirm', 'deploy', '--ledger', join(dir, 'twins.db')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--confirm deploy: both a step and an action are named "deploy"; rename one in the runbook to confirm it');
  });

  it('a missing runbook file is named', async () => {
    const r = await cli(['check', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nope.yaml');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('opscockpit fixtures serve', () => {
  it('prints the URL first and serves the routes', async () => {
    const child = spawn('node', [bin, 'fixtures', 'serve', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const first = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (d) => {
          buf += d;
          if (buf.includes('\n')) resolve(buf.split('\n')[0]);
        });
        child.on('exit', () => reject(new Error('exited early')));
      });
      expect(first).toMatch(/^listening http:\/\/127\.0\.0\.1:\d+$/);
      const url = first.slice('listening '.length);
      const res = await fetch(`${url}/readyz`);
      expect(await res.json()).toEqual({ status: 'ready' });
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('--system serves a seed system from a fresh home and prints what its runbook needs', async () => {
    const child = spawn('node', [bin, 'fixtures', 'serve', '--port', '0', '--system', 'daily-ops'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (d) => {
          buf += d;
          if (buf.includes('OPSCOCKPIT_ALLOW_SCOPES')) resolve(buf);
        });
        child.on('exit', () => reject(new Error('exited early')));
      });
      const url = /^listening (http:\/\/127\.0\.0\.1:\d+)$/m.exec(banner)![1];
      expect(banner).toMatch(/^runbook .*fixtures\/systems\/daily-ops\/runbook\.yaml$/m);
      expect(banner).toContain(`export OPSCOCKPIT_DEMO_URL=${url}`);
      const home = /^export OPSCOCKPIT_FIXTURE_HOME=(.+)$/m.exec(banner)![1];
      expect(existsSync(join(home, 'input', 'orders.csv'))).toBe(true);
      expect(await (await fetch(`${url}/api/emergency_stop`)).json()).toMatchObject({ enabled: false });
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('--system names the systems when the name is wrong', async () => {
    const r = await cli(['fixtures', 'serve', '--system', 'daily-opz']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no fixture system "daily-opz" \(systems: daily-ops, decisionos, newsbot, talkative, ops-playbook\)/);
  });

  it('no ledger file appears for commands that do not need one', async () => {
    await cli(['--help'], { cwd: dir });
    expect(existsSync(join(dir, '.opscockpit'))).toBe(false);
  });
});
