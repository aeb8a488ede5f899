import React from 'react';
import { Box, Text } from 'ink';
import { useCockpit } from './context.js';
import { Panel } from './Panel.js';
import { CHECK_GLYPH, formatAge, formatDuration, truncate } from './presentation.js';
import { statusColor } from './theme.js';

/** The checks in runbook order, as many as fit in `lines`: one line each, two when not healthy. */
export function ReadyPanel(props: { width: number; lines: number }) {
  const { checks, live, running, now } = useCockpit((s) => ({
    checks: s.runbook.checks,
    live: s.live,
    running: s.running,
    now: s.now,
  }));
  const names = Object.keys(checks);
  let used = 0;
  let count = 0;
  for (; count < names.length; count++) {
    const r = live[names[count]];
    const cost = r && r.status !== 'healthy' ? 2 : 1;
    if (used + cost > props.lines) break;
    used += cost;
  }
  const shown = names.slice(0, count);
  const titleWidth = Math.max(10, props.width - 34);
  return (
    <Panel title="Ready" right={`${names.length} checks`} width={props.width}>
      {shown.map((name) => {
        const r = live[name];
        const state = running.includes(name) && !r ? 'running' : r?.status ?? 'pending';
        return (
          <Box key={name} flexDirection="column">
            <Text wrap="truncate">
              <Text color={statusColor(state)}>{CHECK_GLYPH[state]} {state.padEnd(12)}</Text>
              {truncate(checks[name].title, titleWidth).padEnd(titleWidth)} <Text dimColor>{(r?.latencyMs !== undefined ? formatDuration(r.latencyMs) : r ? formatDuration(r.durationMs) : '—').padStart(7)} {r ? formatAge(Math.max(0, now - (r.startedAt + r.durationMs))).padStart(4) : '    '}</Text>
            </Text>
            {r && r.status !== 'healthy' ? (
              <Text color={statusColor(r.status)} wrap="truncate">
                {'   '}{truncate(r.reason, props.width - 8)}
              </Text>
            ) : null}
          </Box>
        );
      })}
      {names.length > shown.length ? <Text dimColor>… {names.length - shown.length} more</Text> : null}
    </Panel>
  );
}
