// Each action outcome answers one request: the earliest of the same action still unanswered.
import type { LedgerEvent } from './types.js';

/** The actions requested in these events and never answered, one entry per request, in order. */
export function unansweredRequests(events: readonly LedgerEvent[]): string[] {
  const open: string[] = [];
  for (const { body } of events) {
    if (body.kind === 'action.requested') open.push(body.action);
    if (body.kind === 'action.completed') {
      const i = open.indexOf(body.action);
      if (i >= 0) open.splice(i, 1);
    }
  }
  return open;
}
