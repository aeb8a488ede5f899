// Which recorded events are worth a message (runbook notify.slack.on), and the message itself
// in Slack's incoming-webhook format. Pure: the session decides when, adapters/notify.ts sends.
import type { LedgerEvent, NotifyTrigger } from './types.js';

export interface TriggerContext {
  /** Actions that promote (the action named promote, actions of type promote, the canary's promote action). */
  promoteActions: ReadonlySet<string>;
}

export function notifyTrigger(ev: LedgerEvent, ctx: TriggerContext): NotifyTrigger | undefined {
  const b = ev.body;
  switch (b.kind) {
    case 'run.completed':
      return b.status === 'succeeded' ? undefined : b.status;
    case 'action.completed':
      if (b.status === 'failed' || b.status === 'unknown') return 'failed';
      return b.status === 'succeeded' && ctx.promoteActions.has(b.action) ? 'promoted' : undefined;
    case 'control.stop':
      return b.on ? 'emergency_stop' : undefined;
    default:
      return undefined;
  }
}

export interface MessageContext {
  runbookName: string;
  runId: string;
  releaseType?: string;
  branch?: string;
  commitSha?: string;
  /** Why, when the cockpit knows (e.g. the NO-GO reason before an abort). */
  why?: string;
  ledgerPath: string;
}

const HEADLINE: Record<NotifyTrigger, string> = {
  failed: ':x: Release failed',
  aborted: ':octagonal_sign: Run aborted',
  rolled_back: ':leftwards_arrow_with_hook: Rolled back',
  promoted: ':white_check_mark: Promoted',
  emergency_stop: ':rotating_light: EMERGENCY STOP ON',
};

/** Slack mrkdwn treats &, < and > as markup. */
export const slackEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function what(ev: LedgerEvent): string {
  const b = ev.body;
  switch (b.kind) {
    case 'action.completed': {
      const last = b.output.trim().split('\n').slice(-1)[0];
      return `${b.action} ${b.status}: ${b.reason}${last ? `\nlast output: ${last.slice(0, 300)}` : ''}`;
    }
    case 'run.completed':
      return `the run was marked ${b.status.replace('_', ' ')}`;
    case 'control.stop':
      return `no action runs on this ledger until it is turned off with a reason: ${b.reason}`;
    default:
      return ev.body.kind;
  }
}

/** The webhook body. Every text in it has already been through the runbook's redactor. */
export function slackMessage(trigger: NotifyTrigger, ev: LedgerEvent, ctx: MessageContext): { text: string; blocks: unknown[] } {
  const stamp = new Date(ev.at).toISOString().slice(0, 19).replace('T', ' ');
  const release = [ctx.releaseType, ctx.branch && `branch ${ctx.branch}`, ctx.commitSha && `commit ${ctx.commitSha}`].filter(Boolean).join(' · ');
  const headline = `${HEADLINE[trigger]} — ${ctx.runbookName}`;
  const body = what(ev) + (ctx.why ? `\nwhy: ${ctx.why}` : '');
  const context = `run ${ctx.runId} (event #${ev.seq})${release ? ` · ${release}` : ''} · by ${ev.operator} · ${stamp} UTC`;
  return {
    text: `${headline}: ${body.split('\n')[0]} (${context})`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${slackEscape(headline)}*\n${slackEscape(body)}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(`${context} · ledger ${ctx.ledgerPath}`) }] },
    ],
  };
}
