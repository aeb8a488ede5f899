import React from 'react';
import { Box, Text } from 'ink';
import { useCockpit } from './context.js';
import { formatClock, formatDuration, truncate } from './presentation.js';
import { color } from './theme.js';

/** Who is at the keys, in which mode, and whether anything may run at all. */
export function SafetyBar(props: { width: number }) {
  const { controls, operator, scopes, now } = useCockpit((s) => ({ controls: s.controls, operator: s.operator, scopes: s.scopes, now: s.now }));
  if (!controls) return null;
  if (controls.stop.on) {
    const who = controls.stop.by ? ` by ${controls.stop.by}${controls.stop.at ? ` at ${formatClock(controls.stop.at)}` : ''}` : '';
    return (
      <Box paddingX={1}>
        <Text bold inverse color={color('red')} wrap="truncate">
          {truncate(` EMERGENCY STOP — ${controls.stop.reason ?? ''}${who} — no action runs; ! turns it off with a reason `, props.width - 2)}
        </Text>
      </Box>
    );
  }
  const w = controls.window;
  const window = !controls.guarded
    ? 'no safety section: modes and windows off'
    : w
      ? `window ${w.id} ${controls.windowStatus}${controls.windowStatus === 'PENDING_APPROVAL' || controls.windowStatus === 'ACTIVE' ? ` · ${formatDuration(Math.max(0, w.expiresAt - now))} left · ${w.approvers.length} approval(s)` : ''}`
      : 'no real-enable window';
  const modeColor = controls.mode === 'REAL_ENABLED' ? 'red' : controls.mode === 'DRY_RUN' ? 'yellow' : 'cyan';
  return (
    <Box paddingX={1}>
      <Text wrap="truncate">
        <Text bold inverse color={color(modeColor)}>{` MODE ${controls.mode} `}</Text>
        <Text dimColor>{truncate(` · ${window} · operator ${operator ?? '?'} · scopes ${scopes?.length ? scopes.join(',') : 'none (read-only)'}`, props.width - 24)}</Text>
      </Text>
    </Box>
  );
}
