// The runbook's notify: section: validated like the rest (file, line, field path), with
// defaults filled in, and the webhook's variable treated as a secret.
import { describe, expect, it } from 'vitest';
import { RunbookError } from '../src/runbook/errors.js';
import { parseRunbook } from '../src/runbook/load.js';
import { runbookJsonSchema } from '../src/runbook/schema.js';

const FILE = 'fixtures/runbooks/notify-test.yaml';
const yaml = (...lines: string[]) => ['version: 1', 'name: Notify', ...lines].join('\n') + '\n';

function problems(text: string): string[] {
  try {
    parseRunbook(text, FILE, {});
  } catch (e) {
    if (!(e instanceof RunbookError)) throw e;
    return e.issues.map((i) => `${i.line}:${i.column} ${i.path} ${i.message}`);
  }
  throw new Error('expected the runbook to be rejected');
}

describe('runbook notify:', () => {
  it('defaults to every trigger, 10 s per attempt, 6 attempts; the webhook variable becomes a secret', () => {
    const rb = parseRunbook(yaml('secrets: [API_TOKEN]', 'notify:', '  slack: { webhook_env: SLACK_WEBHOOK_URL }'), FILE, {});
    expect(rb.notify).toEqual({ slack: { webhookEnv: 'SLACK_WEBHOOK_URL', on: ['failed', 'aborted', 'rolled_back', 'promoted', 'emergency_stop'], timeoutMs: 10_000, attempts: 6 } });
    expect(rb.secrets).toEqual(['API_TOKEN', 'SLACK_WEBHOOK_URL']);
    const picked = parseRunbook(yaml('notify:', '  slack:', '    webhook_env: OPS_HOOK', '    on: [failed, emergency_stop]', '    timeout: 3s', '    attempts: 2'), FILE, {});
    expect(picked.notify?.slack).toEqual({ webhookEnv: 'OPS_HOOK', on: ['failed', 'emergency_stop'], timeoutMs: 3000, attempts: 2 });
    expect(parseRunbook(yaml(), FILE, {}).notify).toBeUndefined();
  });

  it('names what is wrong: an unknown trigger, a URL instead of a variable name, an unknown field', () => {
    expect(problems(yaml('notify:', '  slack:', '    webhook_env: SLACK_WEBHOOK_URL', '    on: [failed, exploded]'))).toEqual([
      expect.stringMatching(/^6:\d+ notify\.slack\.on\[1\] .*"failed".*"emergency_stop"/),
    ]);
    expect(problems(yaml('notify:', '  slack: { webhook_env: "https://hooks.slack.com/services/T/B/X" }'))).toEqual([
      expect.stringMatching(/^4:\d+ notify\.slack\.webhook_env .*UPPER_SNAKE_CASE/),
    ]);
    expect(problems(yaml('notify:', '  slack: { webhook_env: SLACK_WEBHOOK_URL, channel: "#ops" }'))).toEqual([expect.stringMatching(/^4:\d+ notify\.slack\.channel/)]);
  });

  it('is in the JSON Schema for editors', () => {
    const schema = JSON.stringify(runbookJsonSchema());
    expect(schema).toContain('webhook_env');
    expect(schema).toContain('emergency_stop');
  });
});
