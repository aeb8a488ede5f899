// `opscockpit stop on --runbook FILE` from the command line tells the runbook's webhook, as
// the cockpit's ! key does; without --runbook it stops as before and sends nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWebhookReceiver, WEBHOOK_PATH_SECRET, type WebhookReceiver } from './support/webhook.js';
import { cli } from './support/cli.js';

let hook: WebhookReceiver | undefined;
afterEach(async () => {
  await hook?.close();
  hook = undefined;
});

describe('opscockpit stop with a runbook that notifies', () => {
  it('sends the emergency stop to the webhook (after a retry), records it, and keeps the URL out of the ledger', async () => {
    hook = await startWebhookReceiver({ failFirst: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'oc-stop-notify-'));
    const runbook = join(dir, 'rb.yaml');
    writeFileSync(runbook, 'version: 1\nname: Stop notice\nnotify:\n  slack:\n    webhook_env: SLACK_WEBHOOK_URL\nactions:\n  abort: { script: { command: /bin/true } }\n');
    const ledger = join(dir, 'ledger.db');
    const env = { SLACK_WEBHOOK_URL: hook.url, OPSCOCKPIT_OPERATOR: 'night-sre', OPSCOCKPIT_ALLOW_SCOPES: 'safety:stop-off' };

    const plain = await cli(['stop', 'on', '--ledger', ledger], { env });
    expect(plain.code).toBe(0);
    expect(hook.received).toEqual([]);
    expect((await cli(['stop', 'off', '--reason', 'drill over', '--ledger', ledger], { env })).code).toBe(0);

    const r = await cli(['stop', 'on', '--reason', 'payments erroring', '--runbook', runbook, '--ledger', ledger], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(hook.received).toHaveLength(2); // a 503, then delivered
    expect(hook.received[1].json.text).toMatch(/emergency stop/i);
    expect(hook.received[1].json.text).toMatch(/payments erroring/);
    const doc = JSON.parse((await cli(['ledger', '--ledger', ledger, '--json', '--limit', '5'], { env })).stdout);
    const events = doc.runs.flatMap((run: { events: { body: { kind: string; trigger?: string; attempts?: number } }[] }) => run.events.map((e) => e.body));
    expect(events.find((b: { kind: string }) => b.kind === 'notify.sent')).toMatchObject({ trigger: 'emergency_stop', attempts: 2 });
    expect(readFileSync(ledger).includes(WEBHOOK_PATH_SECRET)).toBe(false);
  });
});
