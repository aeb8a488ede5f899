import React from 'react';
import { Box, Text } from './ink.js';
import { useCockpit } from './context.js';
import { Panel } from './Panel.js';
import { CHECK_GLYPH, readyChecks, readyRow, truncate } from './presentation.js';
import { statusColor } from './theme.js';

/**
 * One check per row. Each row reads its own check's line from the store, so a poll that
 * changes one check redraws that row, and a tick of the clock redraws only a row whose age
 * moved to the next step.
 */
function CheckRow(props: { name: string; title: string; titleWidth: number; width: number }) {
  const row = useCockpit((s) => readyRow(s.live[props.name], s.running.includes(props.name), s.now));
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text color={statusColor(row.state)}>{CHECK_GLYPH[row.state]} {row.state.padEnd(12)}</Text>
        {truncate(props.title, props.titleWidth).padEnd(props.titleWidth)} <Text dimColor>{row.latency.padStart(7)} {row.since.padStart(4)}</Text>
      </Text>
      {row.reason ? (
        <Text color={statusColor(row.state)} wrap="truncate">
          {'   '}{truncate(row.reason, props.width - 8)}
        </Text>
      ) : null}
    </Box>
  );
}

/**
 * The checks in runbook order, as many as fit in `lines`: one line each, two when not healthy.
 * A script behind a confirm-first step is something a person starts, not a check: it is not
 * listed or counted here (readyChecks).
 */
export function ReadyPanel(props: { width: number; lines: number }) {
  const checks = useCockpit((s) => s.runbook.checks);
  // One string each, so the panel redraws when the list or a height changes, not per poll.
  const list = useCockpit((s) => readyChecks(s.runbook).join('\n'));
  const names = list ? list.split('\n') : [];
  const heights = useCockpit((s) => names.map((n) => (s.live[n] && s.live[n].status !== 'healthy' ? '2' : '1')).join(''));
  let used = 0;
  let count = 0;
  for (; count < names.length; count++) {
    const cost = Number(heights[count]);
    if (used + cost > props.lines) break;
    used += cost;
  }
  const shown = names.slice(0, count);
  const titleWidth = Math.max(10, props.width - 34);
  return (
    <Panel title="Ready" right={names.length === 1 ? '1 check' : `${names.length} checks`} width={props.width}>
      {shown.map((name) => (
        <CheckRow key={name} name={name} title={checks[name].title} titleWidth={titleWidth} width={props.width} />
      ))}
      {names.length > shown.length ? <Text dimColor>… {names.length - shown.length} more</Text> : null}
      {names.length === 0 ? <Text dimColor wrap="truncate">No automatic checks: each step is walked in the checklist.</Text> : null}
    </Panel>
  );
}
