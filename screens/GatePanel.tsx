import React, { useMemo } from 'react';
import { Text } from './ink.js';
import { useCockpit } from './context.js';
import { Panel } from './Panel.js';
import { wrappedLines } from './layout.js';
import { VERDICT_TEXT, gateLines, triggerLine } from './presentation.js';
import { color, verdictColor } from './theme.js';
import type { CheckResult } from '../src/engine/types.js';

/** The live results that carry a gate, in an array of the store's own objects (shallow-compared). */
function gateResults(live: Record<string, CheckResult>): CheckResult[] {
  return Object.values(live).filter((r) => r.gate);
}

/**
 * The verdict first, then its reasons in full (wrapped: the reason is the point), as many as
 * fit in `lines` with the headline and the "… more" line; always at least one, cut only when
 * even it alone would push the frame past the terminal (80x24).
 */
export function GatePanel(props: { width: number; lines: number }) {
  // Only the gate checks' results (an array, compared item by item): a poll of any other
  // check does not redraw the panel.
  const gated = useCockpit((s) => gateResults(s.live));
  const { verdict, checks, triggers, states, now } = useCockpit((s) => ({
    verdict: s.verdict,
    checks: s.runbook.checks,
    triggers: s.runbook.triggers,
    states: s.triggers,
    // The clock only matters for a failing trigger's age: without triggers, no redraw a second.
    now: s.runbook.triggers?.length ? s.now : 0,
  }));
  // Derived here, not in the selector: a selector that builds new objects re-renders forever.
  const gates = useMemo(() => gated.map((r) => ({ check: checks[r.check]?.title ?? r.check, gate: r.gate! })), [gated, checks]);
  const reasons = verdict?.reasons ?? [];
  // Inside the border and the padding: two cells each side.
  const textWidth = props.width - 4;
  let used = 0;
  let count = 0;
  for (; count < reasons.length; count++) {
    const cost = wrappedLines(`• ${reasons[count]}`, textWidth);
    if (count > 0 && used + cost > props.lines - 2) break;
    used += cost;
  }
  const shown = reasons.slice(0, count).map((r) => fitReason(r, textWidth, Math.max(1, props.lines - 1)));
  const v = verdict?.verdict;
  const headline = !verdict
    ? 'PENDING'
    : v === 'GO' && reasons.length === 0
      ? 'GO — every blocking check is healthy'
      : `${VERDICT_TEXT[verdict.verdict]} — ${reasons.length} reason${reasons.length === 1 ? '' : 's'}`;
  return (
    <Panel title="Gate" right={verdict ? verdict.phase : undefined} width={props.width} borderColor={verdictColor(v)}>
      <Text bold color={verdictColor(v)}>
        {headline}
      </Text>
      {shown.map((r, i) => (
        <Text key={i} wrap="wrap">
          • {r}
        </Text>
      ))}
      {reasons.length > shown.length ? <Text dimColor>… {reasons.length - shown.length} more</Text> : null}
      {(triggers ?? []).map((t) => {
        const line = triggerLine(t, states?.[t.name], now);
        return (
          <Text key={t.name} wrap="truncate" color={line.tone === 'ok' ? color('green') : line.tone === 'warn' ? color('yellow') : color('red')}>
            trigger {line.text}
          </Text>
        );
      })}
      {gates.map((g) => (
        <React.Fragment key={g.check}>
          <Text bold>{g.check}</Text>
          {gateLines(g.gate).map((l, i) => (
            <Text key={i} wrap="wrap">
              {l}
            </Text>
          ))}
        </React.Fragment>
      ))}
    </Panel>
  );
}

/** The reason as it fits in `rows` wrapped rows of `width`: whole when it does, else cut with "…". */
function fitReason(reason: string, width: number, rows: number): string {
  if (wrappedLines(`• ${reason}`, width) <= rows) return reason;
  let cut = reason;
  while (cut.length > 1 && wrappedLines(`• ${cut}…`, width) > rows) cut = cut.slice(0, Math.max(1, cut.length - 8));
  return `${cut.trimEnd()}…`;
}
