// The Gate panel with a release gate: every judge's criteria as value vs threshold, and the
// quorum as k of n, rendered from a real gate check over real files.
import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunbook } from '../src/runbook/load.js';
import { mountCockpit, unmountAll } from './support/mount.js';
import { waitFor } from './support/cockpit.js';

const root = join(import.meta.dirname, '..');
afterEach(unmountAll);

async function mount(evidence: string) {
  const dir = mkdtempSync(join(tmpdir(), 'oc-scr-gate-'));
  copyFileSync(join(root, 'fixtures', 'evidence', evidence), join(dir, 'latest.json'));
  const slo = join(root, 'fixtures', 'slo');
  const file = join(dir, 'gates.yaml');
  writeFileSync(
    file,
    `version: 1
name: Gates
checks:
  gates:
    title: Release gates
    gate: { slo: [${slo}/slo-judge-infra.json, ${slo}/slo-billing-strict-v2.json, ${slo}/slo-latency-loose.yaml], evidence: latest.json, quorum: 2/3 }
checklists:
  preflight:
    - { id: gates, check: gates }
`,
  );
  return await mountCockpit(loadRunbook(file, {}), { env: { PATH: process.env.PATH } });
}

describe('Gate panel', () => {
  it('shows each criterion as value vs threshold and the quorum as k of n; GO on good evidence', async () => {
    const { frame, app } = await mount('good.json');
    app.stdin.write('\r');
    await waitFor(() => frame().includes('quorum 2 of 3: 3 GO → GO'), 'the gate result');
    expect(frame()).toContain('slo-judge-infra: GO');
    expect(frame()).toMatch(/✔p95 \d+≤250/);
    expect(frame()).toMatch(/✔err 0\.38%≤1%/);
    expect(frame()).toContain('GO — every blocking check is healthy');
  });

  it('NO-GO on slow evidence with the failing criteria marked', async () => {
    const { frame, app } = await mount('slow.json');
    app.stdin.write('\r');
    await waitFor(() => frame().includes('quorum 2 of 3: 1 GO → NO-GO'), 'the gate result');
    expect(frame()).toMatch(/✘p95 310≤250/);
    expect(frame()).toMatch(/NO-GO — 1 reason/);
  });
});
