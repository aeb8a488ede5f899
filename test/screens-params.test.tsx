// The header shows the run's parameters, secret ones masked, and the Ledger panel the event
// that recorded them.
import { afterEach, expect, it } from 'vitest';
import { parseRunbook } from '../src/runbook/load.js';
import { withParamValues } from '../src/runbook/params.js';
import { mountCockpit, unmountAll } from './support/mount.js';

afterEach(unmountAll);

it('the header shows each parameter with its value, a secret one as ***', async () => {
  const text = [
    'version: 1', 'name: Rotate', 'params:', '  ticket: { pattern: "CHG-[0-9]+" }', '  vault_token: { type: secret }',
    'checklists: { preflight: [{ id: a, manual: true }] }', '',
  ].join('\n');
  const runbook = parseRunbook(text, '/tmp/rotate.yaml', {}, { ticket: 'CHG-5', vault_token: 's3cr3t-value' });
  const m = await mountCockpit(runbook, { env: withParamValues(runbook.params, { PATH: process.env.PATH }) });
  await expect.poll(() => m.frame()).toContain('ticket=CHG-5 vault_token=***');
  expect(m.frame()).not.toContain('s3cr3t-value');
  const events = m.ledger.events(m.session.runId!).map((e) => e.body);
  expect(events).toContainEqual({ kind: 'run.params', params: { ticket: 'CHG-5', vault_token: '***' } });
});
