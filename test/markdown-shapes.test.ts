// Golden outlines of Markdown runbooks shaped like the ones teams keep: prompted sessions with
// output, unlabelled fences, alternatives as sections and as Hugo tabs, rollback sections,
// admonitions, placeholders, a fill-in template, Chinese text with CRLF line endings. Each
// golden says what the reader makes of the file: phases, step titles, what runs, the notes,
// the placeholders, the choices and the rollback action.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunbookSchema } from '../src/runbook/schema.js';
import { cli } from './support/cli.js';
import { description, doc, load, MARKDOWN_DIR as DIR, outline, rollbackScript } from './support/markdown-outline.js';

describe('Markdown shapes: golden outlines', () => {
  it('a prompted session: prompts stripped, output shown and never run, an unlabelled prompted fence runs', () => {
    const d = doc('git-release-session.md');
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: 'Make sure your checkout is clean and current:', runs: 'git checkout main\ngit pull --ff-only', confirm: true },
      { phase: 'preflight', title: 'Set the version you are cutting:', runs: 'export RELEASE_VERSION=2.8.3', confirm: true },
      // RELEASE_VERSION is set by the block before: no placeholder. The push's output is not run.
      { phase: 'preflight', title: 'Tag it:', runs: 'git tag -s "v${RELEASE_VERSION}" -m "Release ${RELEASE_VERSION}"\ngit push origin "v${RELEASE_VERSION}"', confirm: true },
      { phase: 'postflight', title: 'The release page lists v2.8.3.', manual: true },
      { phase: 'postflight', title: 'GET /version on the canary answers the new version.', http: 'GET app/version' },
    ]);
    // A text fence is a note of the step it follows.
    expect(description(d, 'prepare-3')).toContain('[build] done in 38.2s');
    expect(d.actions).toBeUndefined();
  });

  it('a placeholder, a destructive delete, a log fence, an admonition, link and version bullets, an annotated check', () => {
    const d = doc('restart-stuck-pod.md');
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: 'Find the pod that stopped consuming:', runs: 'kubectl -n jobs get pods -l app=worker --sort-by=.status.startTime', confirm: true },
      { phase: 'preflight', title: 'Read its last lines:', runs: 'kubectl -n jobs logs "${POD_NAME}" --tail=50', confirm: true, placeholders: ['POD_NAME'] },
      { phase: 'preflight', title: 'Delete it; the deployment starts a new one:', runs: 'kubectl -n jobs delete pod "${POD_NAME}"', confirm: 'typed', placeholders: ['POD_NAME'] },
      // Marked `<!-- opscockpit: check every=10s -->`: the one block the Gate may poll.
      { phase: 'postflight', title: 'Run: kubectl -n jobs rollout status deploy/worker --timeout=5s', runs: 'kubectl -n jobs rollout status deploy/worker --timeout=5s', every: '10s' },
    ]);
    // The note under the title is for the whole runbook: it shows with the first step.
    expect(description(d, 'before-you-start-1')).toBe(
      'Before you start — Note: Only for the jobs namespace. Page the platform on-call for anything else. — See also: the queue dashboards — v4.2 and later restart workers on their own; this is for 4.1.',
    );
    // The log under the item is a note of its step, shown, never run.
    expect(description(d, 'before-you-start-2')).toContain('ERROR heartbeat timeout');
  });

  it('alternatives as sibling sections: a choice, the first option walked until one is chosen', () => {
    const d = doc('dev-setup-platforms.md');
    expect(d.choices).toEqual([
      {
        name: 'choice',
        title: 'Developer workstation set-up',
        options: [
          { name: 'linux', title: 'Linux', steps: ['linux-1'] },
          { name: 'macos', title: 'macOS', steps: ['macos-1'] },
          { name: 'windows', title: 'Windows', steps: ['windows-1'] },
        ],
      },
    ]);
    expect(outline(d).map((o) => [o.title, o.runs ?? (o.manual ? 'manual' : '')])).toEqual([
      ['Run: sudo apt-get update (+1 more)', 'sudo apt-get update\nsudo apt-get install -y jq make'],
      ['Run: brew install jq make', 'brew install jq make'],
      ['Run in powershell: winget install jqlang.jq', 'manual'], // a Windows shell is never run by bash
      ['jq --version prints 1.7 or later.', 'manual'],
    ]);
    expect(load('dev-setup-platforms.md').checklists.preflight.map((s) => s.id)).toEqual(['linux-1', 'check-the-tools-1']);
    expect(load('dev-setup-platforms.md').choices[0]).toMatchObject({ chosen: 'linux', given: false });
    const mac = load('dev-setup-platforms.md', { choice: 'macos' });
    expect(mac.checklists.preflight.map((s) => s.id)).toEqual(['macos-1', 'check-the-tools-1']);
    expect(mac.choices[0]).toMatchObject({ chosen: 'macos', given: true });
    // An option that does not exist is not a choice made (the command line refuses it: test/choose.test.ts).
    expect(load('dev-setup-platforms.md', { choice: 'beos' }).choices[0]).toMatchObject({ chosen: 'linux', given: false });
  });

  it('online / offline upgrade sections are a choice; "If the upgrade fails" is the rollback action', () => {
    const d = doc('upgrade-online-offline.md');
    expect(d.choices).toEqual([
      { name: 'upgrade', title: 'Upgrade', options: [{ name: 'online-upgrade', title: 'Online upgrade', steps: ['online-upgrade-1'] }, { name: 'offline-upgrade', title: 'Offline upgrade', steps: ['offline-upgrade-1'] }] },
    ]);
    expect(outline(d).map((o) => [o.phase, o.title, o.confirm])).toEqual([
      ['preflight', 'Read the release notes.', undefined],
      ['preflight', 'Take a snapshot of the broker volumes.', undefined],
      ['preflight', 'Run: for n in 1 2 3; do (+3 more)', true],
      ['preflight', 'Run: systemctl stop rabbitmq-server (+2 more)', 'typed'],
      ['postflight', 'Run: rabbitmq-diagnostics check_running', true],
    ]);
    expect(rollbackScript(d)).toBe(
      [
        'set -euo pipefail',
        '# Run: apt-get install -y --allow-downgrades rabbitmq-server=3.12.14-1 (+1 more) (line 33)',
        'apt-get install -y --allow-downgrades rabbitmq-server=3.12.14-1',
        'systemctl restart rabbitmq-server',
      ].join('\n'),
    );
    expect(outline(d).some((o) => o.runs?.includes('allow-downgrades'))).toBe(false); // not a forward step
  });

  it('Hugo tabs are a choice; a Hugo alert is a note; what follows the tabs is a step of its section', () => {
    const d = doc('hugo-tabs-install.md');
    expect(d.choices).toEqual([{ name: 'install', title: 'Install', options: [{ name: 'debian', title: 'Debian', steps: ['debian-1'] }, { name: 'rhel', title: 'RHEL', steps: ['rhel-1'] }] }]);
    expect(outline(d).map((o) => o.runs)).toEqual([
      'curl -fsSL https://pkg.example.com/gpg | sudo gpg --dearmor -o /usr/share/keyrings/example.gpg\nsudo apt-get install -y example-agent',
      'sudo dnf install -y example-agent',
      'sudo systemctl enable --now example-agent',
    ]);
    expect(description(d, 'install-2-1')).toBe('Install — Then start it:');
  });

  it('a fill-in template has no steps; its placeholders in the title run nowhere', () => {
    const d = doc('incident-template.md');
    expect(d.checklists).toEqual({});
    expect(d.actions).toBeUndefined();
  });

  it('Chinese headings with CRLF: 回滚 is the rollback; an earlier export defines a variable; --force asks a typed confirmation', () => {
    expect(readFileSync(join(DIR, 'db-switchover-zh-crlf.md'), 'utf8')).toContain('\r\n');
    const d = doc('db-switchover-zh-crlf.md');
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: '确认复制延迟', runs: 'psql -h ${PRIMARY_HOST} -c "select now() - pg_last_xact_replay_timestamp();"', confirm: true, placeholders: ['PRIMARY_HOST'] },
      { phase: 'preflight', title: '通知值班群', manual: true },
      { phase: 'preflight', title: 'Run: export ENV=gprd (+1 more)', runs: 'export ENV=gprd\npatronictl -c /etc/patroni.yml switchover --master db-1 --candidate db-2 --force', confirm: 'typed' },
      { phase: 'postflight', title: '应用错误率恢复正常', manual: true },
    ]);
    expect(rollbackScript(d)).toContain('patronictl -c /etc/patroni.yml switchover --master db-2 --candidate db-1 --force');
    expect((d.actions as Record<string, { title: string }>).rollback.title).toBe('回滚');
  });

  it('a prompted user@host session and a roll-back section; a POST with a token is destructive and names the token', () => {
    const d = doc('rotate-api-key.md');
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: 'Create the new key:', runs: 'vault write -f payments/keys/rotate', confirm: true },
      { phase: 'preflight', title: 'Roll it out to the API pods:', runs: 'kubectl -n payments rollout restart deploy/api', confirm: true },
      {
        phase: 'preflight',
        title: 'Revoke the old key once traffic is clean:',
        runs: 'curl -X POST -H "Authorization: Bearer ${VAULT_TOKEN}" https://vault.example/v1/payments/keys/6/revoke',
        confirm: 'typed',
        placeholders: ['VAULT_TOKEN'],
      },
      { phase: 'postflight', title: 'curl -sS https://api.example.com/healthz answers 200.', http: 'GET api-example-com-443/healthz' },
    ]);
    expect(rollbackScript(d)).toBe(
      ['set -euo pipefail', '# Run: vault write payments/keys/config min_decryption_version=6 (+1 more) (line 30)', 'vault write payments/keys/config min_decryption_version=6', 'kubectl -n payments rollout undo deploy/api'].join('\n'),
    );
  });

  it('every golden document passes the whole runbook schema (what convert prints loads as YAML)', () => {
    for (const name of ['git-release-session.md', 'restart-stuck-pod.md', 'dev-setup-platforms.md', 'upgrade-online-offline.md', 'db-switchover-zh-crlf.md', 'rotate-api-key.md', 'incident-template.md']) {
      const r = RunbookSchema.safeParse(doc(name));
      expect(r.success, `${name}: ${r.error?.message}`).toBe(true);
    }
  });
});

describe('Markdown shapes through the binary', () => {
  it('check never runs shell blocks: it lists them as needing a person and exits 2', async () => {
    const r = await cli(['check', join(DIR, 'dev-setup-platforms.md'), '--json', '--ledger', join(tmpdir(), `oc-shapes-${process.pid}.db`)]);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe('INSUFFICIENT');
    expect(report.steps.find((s: { id: string }) => s.id === 'linux-1')).toMatchObject({ state: 'pending', needsPerson: expect.stringMatching(/^needs a person/) });
    // No automatic checks: the Gate waits on the steps, and each says it needs a person.
    expect(report.reasons[0]).toBe('no automatic checks: the steps of this phase are not all done');
    expect(report.reasons[1]).toMatch(/^Run: sudo apt-get update \(\+1 more\): needs a person/);
  });

  it('a runbook with no steps is never GO', async () => {
    const r = await cli(['check', join(DIR, 'incident-template.md'), '--json', '--ledger', join(tmpdir(), `oc-shapes-empty-${process.pid}.db`)]);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe('INSUFFICIENT');
    expect(report.reasons).toEqual(['this runbook has no steps']);
  });
});
