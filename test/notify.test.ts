// Notifications against a real webhook receiver on 127.0.0.1: retries with backoff, a receiver
// that is down or hangs, secrets never in the payload, the outcome in the ledger, and the
// cockpit answering keys meanwhile. A scaled clock runs the one-minute budget in seconds.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverWebhook } from '../adapters/notify.js';
import { openLedger, type SqliteLedger } from '../adapters/ledger.js';
import { loadRunbook } from '../src/runbook/load.js';
import { Redactor } from '../src/runbook/secrets.js';
import { openSession, type Session } from '../src/session/session.js';
import { SqliteStore } from '../adapters/sqlite-store.js';
import type { LedgerEvent } from '../src/engine/types.js';
import { mountCockpit, unmountAll, type Mounted } from './support/mount.js';
import { ScaledClock } from './support/scaled-clock.js';
import { deadWebhookUrl, startWebhookReceiver, WEBHOOK_PATH_SECRET, type WebhookReceiver } from './support/webhook.js';
import { waitFor } from './support/cockpit.js';
import { cli } from './support/cli.js';

const TOKEN = 'deploy-tok-SECRET-88c1';
const receivers: WebhookReceiver[] = [];
const sessions: Session[] = [];
const ledgers: SqliteLedger[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.settleNotifications(5000);
  for (const l of ledgers.splice(0)) l.close();
  unmountAll();
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(opts: Parameters<typeof startWebhookReceiver>[0] = {}) {
  const r = await startWebhookReceiver(opts);
  receivers.push(r);
  return r;
}

/** A runbook whose deploy action fails after printing the deploy token and the webhook URL. */
function writeRunbook(opts: { on?: string; checklist?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'oc-notify-'));
  writeFileSync(join(dir, 'deploy.sh'), '#!/bin/sh\necho "deploying with $TOKEN to $SLACK_WEBHOOK_URL"\necho "error: quota exceeded"\nexit 1\n');
  writeFileSync(join(dir, 'ok.sh'), '#!/bin/sh\necho "stage → stable"\n');
  chmodSync(join(dir, 'deploy.sh'), 0o755);
  chmodSync(join(dir, 'ok.sh'), 0o755);
  const file = join(dir, 'release.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'name: Payments release',
      'release: { type: cutover, branch: main, commit_sha: abc1234 }',
      'secrets: [DEPLOY_TOKEN]',
      'notify:',
      '  slack:',
      '    webhook_env: SLACK_WEBHOOK_URL',
      ...(opts.on ? [`    on: ${opts.on}`] : []),
      ...(opts.checklist === false ? [] : ['checklists:', '  preflight:', '    - { id: rbac, title: RBAC scopes minimised, manual: true }']),
      'actions:',
      '  deploy:',
      '    title: Deploy v2',
      '    key: D',
      // The webhook URL is not declared under secrets: notify makes it one, so it is masked too.
      '    script: { command: ./deploy.sh, env: { TOKEN: "${DEPLOY_TOKEN}" }, passEnv: [SLACK_WEBHOOK_URL] }',
      '  abort: { title: Abort, script: { command: ./ok.sh } }',
      '',
    ].join('\n'),
  );
  return file;
}

/** A session without screens on a fresh ledger, for a runbook that notifies on `on`; closed after the test. */
async function headlessSession(on: string): Promise<{ received: WebhookReceiver['received']; session: Session; ledger: SqliteLedger }> {
  const r = await receiver();
  const env = envFor(r.url);
  const rb = loadRunbook(writeRunbook({ on }), env);
  const path = join(mkdtempSync(join(tmpdir(), 'oc-notify-session-')), 'l.db');
  const ledger = openLedger(path, { redactor: new Redactor(rb.secrets, env) });
  ledgers.push(ledger);
  const session = await openSession({ runbook: rb, ledger: new SqliteStore(ledger, path), ledgerPath: path, env, clock: new ScaledClock(20) });
  sessions.push(session);
  return { received: r.received, session, ledger };
}

const envFor = (url: string | undefined) => ({
  PATH: process.env.PATH,
  DEPLOY_TOKEN: TOKEN,
  OPSCOCKPIT_OPERATOR: 'alice',
  OPSCOCKPIT_ALLOW_SCOPES: 'deploy:deploy,deploy:abort,safety:stop-off',
  ...(url ? { SLACK_WEBHOOK_URL: url } : {}),
});

async function mount(url: string | undefined, clock: ScaledClock, rb = writeRunbook()): Promise<Mounted> {
  const env = envFor(url);
  const m = await mountCockpit(loadRunbook(rb, env), { env, clock });
  sessions.push(m.session);
  return m;
}

const press = async (m: Mounted, keys: string[], until: (f: string) => boolean, what: string) => {
  for (const k of keys) m.app.stdin.write(k);
  return waitFor(() => until(m.frame()) && m.frame(), what);
};

const allEvents = (m: Mounted): LedgerEvent[] => m.ledger.listRuns(20).flatMap((r) => m.ledger.events(r.runId));
const find = (m: Mounted, kind: string) => allEvents(m).find((e) => e.body.kind === kind);

async function failDeploy(m: Mounted): Promise<LedgerEvent> {
  await press(m, ['D'], (f) => f.includes('Type deploy'), 'the confirmation');
  await press(m, ['deploy', '\r'], (f) => f.includes('deploy failed'), 'the failed deploy on screen');
  return find(m, 'action.completed')!;
}

describe('webhook delivery (adapters/notify.ts)', () => {
  const clock = () => new ScaledClock(50);
  const base = { body: '{"text":"hi"}', attempts: 6, timeoutMs: 10_000, deadlineMs: 60_000, redact: (s: string) => s.split(WEBHOOK_PATH_SECRET).join('***') };

  it('retries a 503 with backoff until it is taken', async () => {
    const r = await receiver({ failFirst: 2 });
    const res = await deliverWebhook({ ...base, url: r.url, clock: clock() });
    expect(res).toMatchObject({ ok: true, attempts: 3, httpStatus: 200, errors: ['HTTP 503 service_unavailable', 'HTTP 503 service_unavailable'] });
    expect(r.received).toHaveLength(3);
    expect(r.received.every((x) => x.body === '{"text":"hi"}')).toBe(true);
  });

  it('waits as long as a 429 says (Retry-After): longer than the deadline, it gives up at once', async () => {
    const server = createServer((_req, res) => res.writeHead(429, { 'retry-after': '120' }).end('slow down'));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const res = await deliverWebhook({ ...base, url, clock: clock() });
      expect(res).toMatchObject({ ok: false, attempts: 1, errors: ['HTTP 429 slow down'] });
      expect(res.reason).toBe('HTTP 429 slow down (gave up after 1 attempts: the next would start after the 60 s deadline)');
    } finally {
      server.close();
    }
  });

  it('stops at once when the webhook refuses the message (404), and gives up inside the deadline when it is down', async () => {
    const gone = await receiver({ failFirst: 99, status: 404 });
    const refused = await deliverWebhook({ ...base, url: gone.url, clock: clock() });
    expect(refused).toMatchObject({ ok: false, attempts: 1 });
    expect(refused.reason).toMatch(/HTTP 404 .*trying again would not help/);

    const c = clock();
    const start = c.now();
    const down = await deliverWebhook({ ...base, url: await deadWebhookUrl(), clock: c });
    expect(down.ok).toBe(false);
    expect(down.attempts).toBe(6);
    expect(down.errors.every((e) => e === 'connection refused')).toBe(true);
    expect(down.reason).toContain('gave up after 6 attempts');
    expect(c.now() - start).toBeLessThan(60_000);
    expect(JSON.stringify(down)).not.toContain(WEBHOOK_PATH_SECRET);
  });

  it('a webhook that never answers times out per attempt and gives up at the one-minute deadline', async () => {
    const r = await receiver({ hang: true });
    const c = clock();
    const start = c.now();
    const res = await deliverWebhook({ ...base, url: r.url, clock: c });
    expect(res.ok).toBe(false);
    expect(res.errors[0]).toBe('no answer within 10 s');
    expect(res.attempts).toBeGreaterThanOrEqual(2);
    expect(r.received.length).toBe(res.attempts);
    expect(c.now() - start).toBeLessThanOrEqual(61_000);
  });
});

describe('notifications from the cockpit', () => {
  it('a failed release is visible in the cockpit and sent within a minute, after retries, with no secret in it', async () => {
    const r = await receiver({ failFirst: 2 });
    const clock = new ScaledClock(20);
    const m = await mount(r.url, clock);
    const failed = await failDeploy(m);
    await waitFor(() => m.frame().includes('slack notified: release failed'), 'the notification on screen');
    const sent = find(m, 'notify.sent')!;
    expect(sent.body).toMatchObject({ channel: 'slack', trigger: 'failed', about: failed.seq, attempts: 3, errors: ['HTTP 503 service_unavailable', 'HTTP 503 service_unavailable'] });
    // Seed 000: within a minute of the failure (the clock is 20 times faster than the wall).
    expect(sent.at - failed.at).toBeLessThan(60_000);
    expect(r.received).toHaveLength(3);
    const payload = r.received[2].json;
    expect(payload.text).toContain(':x: Release failed — Payments release: deploy failed: exit 1');
    expect(payload.text).toContain('cutover · branch main · commit abc1234 · by alice');
    expect(JSON.stringify(payload.blocks)).toContain('last output: error: quota exceeded');
    for (const req of r.received) {
      expect(req.body).not.toContain(TOKEN);
      expect(req.body).not.toContain(WEBHOOK_PATH_SECRET);
    }
    const bytes = readFileSync(m.ledgerPath).toString('latin1');
    expect(bytes).not.toContain(WEBHOOK_PATH_SECRET);
  });

  it('a webhook that is down: the cockpit keeps answering keys, and the failure is recorded within the minute', async () => {
    const r = await receiver({ hang: true });
    // 10 times faster: the minute is 6 s of wall time, so the keys below are pressed well inside
    // it even on a loaded machine.
    const clock = new ScaledClock(10);
    const m = await mount(r.url, clock);
    const failed = await failDeploy(m);
    await waitFor(() => r.received.length >= 1, 'the first attempt');
    expect(m.session.notificationsInFlight).toBe(1);
    // Not blocked: help opens and closes, and the manual step is confirmed while it waits.
    await press(m, ['?'], (f) => f.includes('Help — keys'), 'help while the webhook hangs');
    await press(m, ['\u001b'], (f) => !f.includes('Help — keys'), 'help closed');
    await press(m, ['\r'], (f) => f.includes('rbac: confirmed'), 'the step confirmed while the webhook hangs');
    expect(find(m, 'notify.failed')).toBeUndefined();
    await waitFor(() => find(m, 'notify.failed'), 'the failure recorded', 20_000);
    const rec = find(m, 'notify.failed')!;
    expect(rec.body).toMatchObject({ trigger: 'failed', about: failed.seq });
    if (rec.body.kind !== 'notify.failed') throw new Error('unreachable');
    expect(rec.body.attempts).toBe(r.received.length);
    expect(rec.body.errors[0]).toBe('no answer within 10 s');
    expect(rec.body.reason).toMatch(/^no answer within [\d.]+ s \(gave up after \d attempts/);
    expect(rec.at - failed.at).toBeLessThanOrEqual(61_000);
    await waitFor(() => m.frame().includes('Slack notification failed'), 'the failure on screen');
  }, 40_000);

  it('aborted and emergency stop are sent too, each recorded in its own run; a missing URL is a recorded failure', async () => {
    const r = await receiver();
    const m = await mount(r.url, new ScaledClock(20));
    await press(m, ['!'], (f) => f.includes('EMERGENCY STOP ON'), 'the stop');
    await waitFor(() => r.received.some((x) => x.json.text.includes('EMERGENCY STOP ON')), 'the stop message');
    await press(m, ['!'], (f) => f.includes('why is it safe now'), 'stop-off dialog');
    await press(m, ['drill over', '\r'], (f) => f.includes('Emergency stop off'), 'stop off');
    await press(m, ['a'], (f) => f.includes('Type abort'), 'abort dialog');
    await press(m, ['abort', '\r'], (f) => f.includes('ABORTED'), 'aborted');
    await waitFor(() => r.received.some((x) => x.json.text.includes('Run aborted')), 'the abort message');
    await m.session.settleNotifications(5000);
    const sent = allEvents(m).filter((e) => e.body.kind === 'notify.sent');
    expect(sent.map((e) => (e.body as { trigger: string }).trigger).sort()).toEqual(['aborted', 'emergency_stop']);
    const controlRun = m.ledger.listRuns(20).find((x) => x.releaseType === 'controls')!;
    expect(sent.find((e) => (e.body as { trigger: string }).trigger === 'emergency_stop')?.runId).toBe(controlRun.runId);

    const none = await mount(undefined, new ScaledClock(20));
    expect(none.frame()).toContain('Notifications are off: SLACK_WEBHOOK_URL is not set');
    await failDeploy(none);
    await waitFor(() => find(none, 'notify.failed'), 'the failure recorded');
    expect(find(none, 'notify.failed')!.body).toMatchObject({ attempts: 0, reason: 'SLACK_WEBHOOK_URL is not set: nothing was sent' });
  });

  it('only the events the runbook names are sent', async () => {
    const { received, session } = await headlessSession('[aborted]');
    expect((await session.runAction('deploy', 'deploy'))?.status).toBe('failed');
    expect((await session.runAction('abort', 'abort'))?.status).toBe('succeeded');
    await session.settleNotifications(5000);
    expect(received.map((x) => x.json.text.split(' — ')[0])).toEqual([':octagonal_sign: Run aborted']);
  });
});

describe('notifications: one message per failure', () => {
  it('a failed action and its run marked failed are told once; a second failed action is told again', async () => {
    const { received, session, ledger } = await headlessSession('[failed]');
    await session.runAction('deploy', 'deploy');
    session.fail();
    await session.settleNotifications(5000);
    expect(received).toHaveLength(1);
    await session.runAction('deploy', 'deploy');
    await session.settleNotifications(5000);
    expect(received).toHaveLength(2);
    for (const x of received) expect(x.json.text).toMatch(/^:x: Release failed — Payments release: deploy failed: exit 1 /);
    const recorded = ledger.events(session.runId).filter((e) => e.body.kind === 'notify.sent');
    expect(recorded.map((e) => (e.body as { about: number }).about)).toHaveLength(2);
  });
});

describe('notifications from a headless run', () => {
  it('opscockpit run sends the failure and records it, though the command closes its ledger first', async () => {
    const r = await receiver({ failFirst: 1 });
    const file = writeRunbook({ checklist: false });
    const ledger = join(mkdtempSync(join(tmpdir(), 'oc-notify-cli-')), 'ledger.db');
    const res = await cli(['run', file, '--action', 'deploy', '--yes', '--ledger', ledger], { env: envFor(r.url) });
    expect(res.code).toBe(1);
    expect(r.received).toHaveLength(2);
    expect(r.received[1].json.text).toContain('deploy failed: exit 1');
    expect(r.received.map((x) => x.body).join('')).not.toContain(TOKEN);
    const shown = await cli(['ledger', 'show', 'last', '--ledger', ledger, '--json']);
    const events = JSON.parse(shown.stdout).events as LedgerEvent[];
    expect(events.find((e) => e.body.kind === 'notify.sent')?.body).toMatchObject({ trigger: 'failed', attempts: 2 });
    expect(events.filter((e) => e.body.kind.startsWith('notify.'))).toHaveLength(1);
  });

  it('a scheduled check that fails (cron) is sent before the command exits', async () => {
    const r = await receiver();
    const dir = mkdtempSync(join(tmpdir(), 'oc-notify-check-'));
    writeFileSync(join(dir, 'strict.sh'), '#!/bin/sh\necho "ops_daily strict unhealthy: delivered_total=0"\nexit 2\n', { mode: 0o755 });
    const file = join(dir, 'ops.yaml');
    writeFileSync(
      file,
      ['version: 1', 'name: ops_daily', 'notify: { slack: { webhook_env: SLACK_WEBHOOK_URL, on: [failed] } }', 'checks:', '  strict: { script: { command: ./strict.sh } }', 'checklists:', '  preflight:', '    - { id: strict, check: strict }', ''].join('\n'),
    );
    const ledger = join(dir, 'ledger.db');
    const res = await cli(['check', file, '--scheduled', '--ledger', ledger], { env: envFor(r.url) });
    expect(res.code).toBe(2);
    expect(r.received).toHaveLength(1);
    expect(r.received[0].json.text).toMatch(/^:x: Release failed — ops_daily: the run was marked failed/);
    const shown = JSON.parse((await cli(['ledger', 'show', 'last', '--ledger', ledger, '--json'])).stdout);
    expect(shown.events.at(-1).body).toMatchObject({ kind: 'notify.sent', trigger: 'failed', attempts: 1 });
  });
});
