// Markdown runbooks loaded as they are: the five seed runbooks, front matter, setext
// headings, CRLF, code inside list items, malformed input, the YAML conversion round trip,
// and headless check leaving confirm-first script steps alone.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunbookError } from '../src/runbook/errors.js';
import { loadRunbook, parseRunbook } from '../src/runbook/load.js';
import { toYaml } from '../src/runbook/markdown/convert.js';
import { markdownToDocument, parseMarkdownRunbook } from '../src/runbook/markdown/load.js';
import { slugify } from '../src/runbook/markdown/words.js';
import type { HttpCheck, Runbook, ScriptCheck } from '../src/runbook/model.js';
import { convertCommand } from '../src/cli/commands/convert.js';
import type { Io } from '../src/cli/main.js';
import { cli } from './support/cli.js';

const SEEDS = 'fixtures/runbooks/seeds';
const seed = (name: string) => loadRunbook(join(SEEDS, name), {});
const md = (text: string, env: NodeJS.ProcessEnv = {}) => parseMarkdownRunbook(text, resolve('fixtures/runbooks/inline.md'), env);
const ids = (rb: Runbook, phase: 'preflight' | 'postflight') => rb.checklists[phase].map((s) => s.id);
const titles = (rb: Runbook, phase: 'preflight' | 'postflight') => rb.checklists[phase].map((s) => s.title);
const step = (rb: Runbook, id: string) => [...rb.checklists.preflight, ...rb.checklists.postflight].find((s) => s.id === id)!;
const checkOf = (rb: Runbook, id: string) => {
  const s = step(rb, id);
  return s.check ? rb.checks[s.check] : undefined;
};

describe('seed runbooks load as they are', () => {
  it('000 CTO ops: numbered lists are steps; "Before production run" / "After run" split the phases', () => {
    const rb = seed('cto-ops.md');
    expect(rb.name).toBe('CTO Operations Runbook (v1)');
    expect(titles(rb, 'preflight').slice(-3)).toEqual([
      'Verify main commit and branch alignment.',
      'Verify E2E smoke gate pass.',
      'Verify release ledger start record created.',
    ]);
    expect(ids(rb, 'preflight').slice(-3)).toEqual(['before-production-run-1', 'before-production-run-2', 'before-production-run-3']);
    expect(ids(rb, 'postflight')).toEqual(['after-run-1', 'after-run-2', 'after-run-3', 'after-run-4', 'after-run-5', 'after-run-6']);
    expect(titles(rb, 'postflight')[2]).toBe('Verify core user flows in production: › email link -> app landing');
    expect(step(rb, 'after-run-1')).toMatchObject({ blocking: true, description: '6) Operational Checklist › After run' });
    expect(rb.checklists.postflight.every((s) => !s.check)).toBe(true); // all manual
    expect(step(rb, '2-pre-deploy-gate-must-pass-1').title).toBe('index CTA opens auth overlay.');
  });

  it('001 DecisionOS cutover: GET /readyz and a lone curl become HTTP checks; `curl … | jq .` and command groups are confirm-first', () => {
    const rb = seed('decisionos-cutover.md');
    expect(rb.checklists.postflight).toEqual([]); // no heading names an after-phase
    expect(rb.description).toMatch(/^본 런북은 v0.5.11q/);
    expect(checkOf(rb, 'pre-flight-check-t-24h-4')).toMatchObject({ kind: 'http', url: 'http://127.0.0.1:8080/readyz', method: 'GET', expect: { status: [200] } });
    expect(rb.targets).toMatchObject({ app: 'http://127.0.0.1:8080', 'localhost-8081': 'http://localhost:8081' });
    // `curl … | jq .` is more than a request (the check would drop `| jq .`): the operator runs it.
    expect(rb.targets['localhost-8080']).toBeUndefined();
    const commands = rb.checklists.preflight.filter((s) => s.line === 52);
    expect(commands.map((s) => [s.title, !!s.confirm])).toEqual([
      ['Ready', true],
      ['GET http://localhost:8081/ops/cards/reason-trends', false],
      ['Evidence 빌드(예시)', true],
      ['Gate', true],
      ['Promote / Abort', true],
    ]);
    const readyz = rb.checks[commands[0].check!] as ScriptCheck;
    expect(readyz.args).toEqual(['-c', '# Ready\ncurl -sS http://localhost:8080/readyz | jq .']);
    const cards = rb.checks[commands[1].check!] as HttpCheck;
    expect(cards.headers).toEqual({ Authorization: 'Bearer scope=ops:read' });
    const promote = rb.checks[commands[4].check!] as ScriptCheck;
    expect(promote).toMatchObject({ kind: 'script', command: 'bash', cwd: resolve(SEEDS) });
    expect(promote.args).toEqual(['-c', '# Promote / Abort\npipeline/release/promote.sh\npipeline/release/abort.sh']);
    // Roles and Key Env/Secrets are reference material, not steps; hard breaks read as spaces.
    expect(rb.checklists.preflight.some((s) => s.title.includes('Deploy Owner'))).toBe(false);
    expect(titles(rb, 'preflight')).toContain('Canary 시작 pipeline/release/canary_step.sh 실행 → shadow/mirror 활성');
  });

  it('002 ops playbook: nested headings Preflight / Deploy / Post-deploy verification', () => {
    const rb = seed('ops-playbook.md');
    expect(rb.name).toBe('Ops Playbook');
    expect(ids(rb, 'preflight')).toContain('preflight-1');
    expect(ids(rb, 'preflight')).toContain('deploy-generic-2');
    expect(ids(rb, 'postflight').slice(0, 4)).toEqual(['post-deploy-verification-1', 'post-deploy-verification-2', 'post-deploy-verification-3', 'post-deploy-verification-4']);
    expect(step(rb, 'post-deploy-verification-2').title).toBe('Run Actions → prod_verify: › dry_run (config check)');
    expect(step(rb, 'preflight-1').description).toBe('Deploy checklist › Preflight');
    expect(ids(rb, 'postflight')).toContain('incident-triage-1'); // after the first post section
  });

  it("003 daily ops: the six steps in order, GET lines as HTTP checks, the ops cycle confirm-first", () => {
    const rb = seed('daily-ops.md');
    const sixSteps = rb.checklists.preflight.filter((s) => /^step-\d/.test(s.id));
    expect(sixSteps.map((s) => s.id.replace(/-\d+$/, '')).filter((v, i, a) => a.indexOf(v) === i)).toEqual([
      'step-1-emergency-stop',
      'step-2-gate',
      'step-3-real-enable-window-real',
      'step-4-approval-real',
      'step-5-ops-cycle',
      'step-6',
    ]);
    const gets = sixSteps.filter((s) => s.check && rb.checks[s.check].kind === 'http').map((s) => (rb.checks[s.check!] as HttpCheck).url);
    expect(gets).toEqual([
      'http://127.0.0.1:8080/api/emergency_stop',
      'http://127.0.0.1:8080/api/execution_gate',
      'http://127.0.0.1:8080/api/real_enable_window/latest',
      'http://127.0.0.1:8080/api/approvals/real_enable/latest',
      'http://127.0.0.1:8080/api/ops/daily',
    ]);
    expect(step(rb, 'step-1-emergency-stop-1').description).toContain('enabled: true | 즉시 중단');
    expect(step(rb, 'step-5-ops-cycle-2')).toMatchObject({ title: 'Linux/NAS', confirm: true });
    expect((checkOf(rb, 'step-5-ops-cycle-2') as ScriptCheck).args).toEqual(['-c', '# Linux/NAS\n./deploy/run_daily_ops.sh']);
    // POST stays with the operator; the cron block is not shell.
    expect(step(rb, 'stopped-3').check).toBeUndefined();
    expect(step(rb, 'stopped-1').check).toBeDefined();
    expect(Object.values(rb.checks).some((c) => c.kind === 'script' && c.args.join(' ').includes('0 9 * * *'))).toBe(false);
  });

  it('004 Talkative release: task items are steps; "Smoke tests after deploy" starts postflight', () => {
    const rb = seed('talkative-release.md');
    expect(titles(rb, 'preflight').slice(0, 5)).toEqual([
      'Main branch green in CI.',
      'PRs for target changes approved and merged.',
      'No open P0 incidents affecting agent loop, auth, or data integrity.',
      'Environment variables validated for target environment.',
      'Known risks and release notes prepared.',
    ]);
    expect(ids(rb, 'preflight').slice(0, 2)).toEqual(['release-preconditions-1', 'release-preconditions-2']);
    expect(step(rb, 'pre-release-checklist-1')).toMatchObject({ confirm: true, title: 'Run: npm install (+3 more)' });
    expect(step(rb, 'pre-release-checklist-2')).toMatchObject({ title: 'Backend tests pass.', description: 'Pre-Release Checklist — Verify:' });
    expect(ids(rb, 'preflight')).toContain('prepare-release-pr-1');
    expect(ids(rb, 'postflight')[0]).toBe('smoke-tests-after-deploy-1');
    expect(checkOf(rb, 'smoke-tests-after-deploy-1')).toMatchObject({ kind: 'http', url: 'http://127.0.0.1:8080/health' });
    // The Rollback Procedure is the rollback action (R), not forward steps.
    expect(ids(rb, 'preflight').concat(ids(rb, 'postflight')).some((id) => id.includes('rollback-procedure') || id.startsWith('validate-rollback'))).toBe(false);
    const rollback = rb.actions.rollback.script!.args[1];
    expect(rollback.split('\n').slice(0, 3)).toEqual(['set -euo pipefail', '# Freeze additional merges/deploys. (line 74)', "echo 'by hand: Freeze additional merges/deploys.'"]);
    expect(rollback).toContain('curl -fsS "${OPSCOCKPIT_TARGET_URL:-http://127.0.0.1:8080}/health"');
    expect(ids(rb, 'postflight')).toContain('post-rollback-follow-up-4');
    expect(ids(rb, 'preflight').some((id) => id.startsWith('scope'))).toBe(false);
  });

  it('the app target follows OPSCOCKPIT_TARGET_URL', () => {
    const rb = loadRunbook(join(SEEDS, 'daily-ops.md'), { OPSCOCKPIT_TARGET_URL: 'http://10.0.0.5:9000' });
    expect((checkOf(rb, 'step-6-1') as HttpCheck).url).toBe('http://10.0.0.5:9000/api/ops/daily');
  });
});

describe('Markdown features', () => {
  it('front matter sets the name, and its opscockpit: settings the targets and secrets (merged with what the text proposes)', () => {
    const rb = md(
      ['---', 'name: Payments cutover', 'opscockpit:', '  targets: { app: http://10.1.1.1:8080 }', '  secrets: [PAY_TOKEN]', '---', '', '# Ignored title', '', '## Preflight', '', '- [ ] `GET /readyz` answers', '- [x] Backups taken', ''].join('\n'),
    );
    expect(rb.name).toBe('Payments cutover');
    expect(rb.secrets).toEqual(['PAY_TOKEN']);
    expect(rb.targets.app).toBe('http://10.1.1.1:8080');
    expect((checkOf(rb, 'preflight-1') as HttpCheck).url).toBe('http://10.1.1.1:8080/readyz');
    expect(step(rb, 'preflight-2')).toMatchObject({ title: 'Backups taken', line: 13 });
  });

  it('bad front matter is a RunbookError with its line, not a crash', () => {
    expect(() => md('---\nname: [unclosed\n---\n# T\n')).toThrow(RunbookError);
    try {
      md('---\nweight: 3\nopscockpit:\n  nmae: x\n---\n# T\n\n- a\n');
      expect.unreachable();
    } catch (e) {
      expect((e as RunbookError).issues[0]).toMatchObject({ line: 4, path: 'opscockpit.nmae' });
    }
  });

  it('setext headings, CRLF line endings and non-English text', () => {
    const text = ['배포 런북', '=====', '', '사전 점검', '-----', '', '1. 백업 확인', '2. 알림 발송', '', 'After the change', '----------------', '', '* 모니터링 확인', ''].join('\r\n');
    const rb = md(text);
    expect(rb.name).toBe('배포 런북');
    expect(titles(rb, 'preflight')).toEqual(['백업 확인', '알림 발송']);
    expect(ids(rb, 'preflight')[0]).toMatch(/^s-[0-9a-f]{8}-1$/);
    expect(ids(rb, 'postflight')).toEqual(['after-the-change-1']);
    expect(step(rb, 'after-the-change-1').line).toBe(13);
  });

  it('code blocks inside list items: the item becomes the script or HTTP step', () => {
    const rb = md(
      ['# Deploy', '', '## Before', '', '1. Drain the node:', '   ```bash', '   kubectl drain node-1', '   ```', '2. Check health', '   ```', '   GET /healthz', '   ```', '3. Nested', '   - [ ] child task', ''].join('\n'),
    );
    expect(step(rb, 'before-1')).toMatchObject({ title: 'Drain the node:', confirm: 'typed' }); // kubectl drain looks destructive
    expect((checkOf(rb, 'before-1') as ScriptCheck).args).toEqual(['-c', 'kubectl drain node-1']);
    expect(checkOf(rb, 'before-2')).toMatchObject({ kind: 'http', url: 'http://127.0.0.1:8080/healthz' });
    expect(step(rb, 'before-4').title).toBe('Nested › child task');
  });

  it('malformed Markdown (unclosed fence, broken table, stray HTML) still loads', () => {
    const rb = md(['# Broken', '', '## Pre-flight', '', '| a | b |', '|---|', '| 1 |', '', '- [ ] item <div>', '', '```bash', 'echo never closed', '## Not a heading', ''].join('\n'));
    expect(titles(rb, 'preflight')[0]).toBe('item <div>');
    expect(step(rb, 'pre-flight-2')).toMatchObject({ confirm: true });
    expect(() => md('')).toThrow('the runbook is empty');
    expect(() => md('\u0000\u0001 ```` ~~~ >>>> - [ ]\n#\n##')).not.toThrow();
  });

  it('slugs keep only [A-Za-z0-9_-] and stay stable', () => {
    expect(slugify('Step 1: Emergency Stop 확인')).toBe('step-1-emergency-stop');
    expect(slugify('장애 대응')).toBe(slugify('장애 대응'));
    expect(slugify('장애 대응')).toMatch(/^s-[0-9a-f]{8}$/);
  });

  it('a very long file loads, with line numbers of the whole file', () => {
    const section = (i: number) => `## Pre-flight ${i}\n\n1. Check \`GET /health\`\n2. Confirm owner\n\n\`\`\`bash\n# step\necho ${i}\n\`\`\`\n\n`;
    const text = `# Long\n\n${Array.from({ length: 3000 }, (_, i) => section(i)).join('')}`;
    const rb = md(text);
    expect(rb.checklists.preflight).toHaveLength(9000);
    const last = rb.checklists.preflight[8999];
    expect(last.id).toBe('pre-flight-2999-3');
    expect(text.split('\n')[last.line - 1]).toBe('```bash');
  });
});

describe('convert to YAML', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oc-md-'));
  for (const name of ['cto-ops.md', 'decisionos-cutover.md', 'ops-playbook.md', 'daily-ops.md', 'talkative-release.md']) {
    it(`${name} round-trips through the YAML loader`, () => {
      const file = join(dir, name);
      copyFileSync(join(SEEDS, name), file);
      const fromMd = loadRunbook(file, {});
      const made = markdownToDocument(readFileSync(file, 'utf8'), file);
      const yaml = toYaml(made.document, { file: name });
      expect(yaml.split('\n', 1)[0]).toBe(`# Converted from ${name} by opscockpit convert.`);
      // Top-level keys in the order a person would write them: the steps last.
      const keys = yaml.split('\n').filter((l) => /^[a-z]+:/.test(l)).map((l) => l.slice(0, l.indexOf(':')));
      expect(keys.slice(0, 2)).toEqual(['version', 'name']);
      expect(keys[keys.length - 1]).toBe('checklists');
      const fromYaml = parseRunbook(yaml, file.replace(/\.md$/, '.yaml'), {});
      const shape = (rb: Runbook) => ({
        name: rb.name,
        description: rb.description,
        targets: rb.targets,
        checks: rb.checks,
        checklists: Object.fromEntries(Object.entries(rb.checklists).map(([p, steps]) => [p, steps.map(({ line: _line, ...s }) => s)])),
      });
      expect(shape(fromYaml)).toEqual(shape(fromMd));
    });
  }

  it('convertCommand prints the YAML, writes it with --out, and refuses to overwrite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-md-convert-'));
    const src = join(dir, 'release.md');
    copyFileSync(join(SEEDS, 'talkative-release.md'), src);
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: {} } as unknown as Io;
    expect(await convertCommand([src], io)).toBe(0);
    expect(out.join('')).toContain('id: smoke-tests-after-deploy-1');
    const target = join(dir, 'release.yaml');
    expect(await convertCommand([src, '--out', target], io)).toBe(0);
    expect(loadRunbook(target, {}).checklists.postflight[0].id).toBe('smoke-tests-after-deploy-1');
    expect(await convertCommand([src, '--out', target], io)).toBe(1);
    expect(err.join('')).toContain('--force');
    expect(await convertCommand([join(dir, 'x.yaml')], io)).toBe(1);
  });

  it('keeps the app target as an environment template', () => {
    const yaml = toYaml(markdownToDocument('# T\n\n## Before\n\n- `GET /x`\n', 't.md').document);
    expect(yaml).toContain('app: ${OPSCOCKPIT_TARGET_URL:-http://127.0.0.1:8080}');
    expect(yaml).toMatch(/^version: 1$/m);
  });
});

describe('the CLI on Markdown runbooks', () => {
  it('check reports confirm-first script steps as pending and never runs them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-md-check-'));
    const runbook = join(dir, 'daily-ops.md');
    copyFileSync(join(SEEDS, 'daily-ops.md'), runbook);
    mkdirSync(join(dir, 'deploy'));
    const marker = join(dir, 'ran');
    writeFileSync(join(dir, 'deploy', 'run_daily_ops.sh'), `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    const r = await cli(['check', runbook, '--json', '--ledger', join(dir, 'l.db')], { env: { OPSCOCKPIT_TARGET_URL: 'http://127.0.0.1:1' } });
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    const ops = doc.steps.filter((s: { id: string }) => s.id.startsWith('step-5-ops-cycle'));
    expect(ops.map((s: { state: string }) => s.state)).toEqual(['pending', 'pending']);
    expect(existsSync(marker)).toBe(false);
    const gets = doc.steps.filter((s: { id: string }) => s.id === 'step-1-emergency-stop-1');
    expect(gets[0].state).toBe('failed'); // the HTTP check did run (against a closed port)
  });

  it('validate accepts a seed as it is', async () => {
    const r = await cli(['validate', join(SEEDS, 'talkative-release.md')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
