import React from 'react';
import { Box, Text } from './ink.js';
import { useCockpit } from './context.js';
import { formatClock, formatDuration, truncate } from './presentation.js';
import { color } from './theme.js';
import type { CockpitState } from '../src/store/store.js';

/**
 * The bar's text, as strings: the session refreshes the controls every second (another
 * process may have changed them), and the bar redraws only when what it says changed.
 */
function safetyText(s: CockpitState): { stop?: string; mode?: string; detail?: string; ledger?: string } {
  const ledger = s.ledgerDown === undefined ? undefined : ` LEDGER UNREACHABLE since ${formatClock(s.ledgerDown)}: nothing that needs a record runs; live checks go on; reconnecting `;
  return { ...controlsText(s), ledger };
}

function controlsText(s: CockpitState): { stop?: string; mode?: string; detail?: string } {
  const controls = s.controls;
  if (!controls) return {};
  if (controls.stop.on) {
    const who = controls.stop.by ? ` by ${controls.stop.by}${controls.stop.at ? ` at ${formatClock(controls.stop.at)}` : ''}` : '';
    return { stop: ` EMERGENCY STOP — ${controls.stop.reason ?? ''}${who} — no action runs; ! turns it off with a reason ` };
  }
  const w = controls.window;
  const database = s.identity === 'database';
  const window = !controls.guarded
    ? 'no safety section: modes and windows off'
    : w
      ? `window ${w.id} ${controls.windowStatus}${controls.windowStatus === 'PENDING_APPROVAL' || controls.windowStatus === 'ACTIVE' ? ` · ${formatDuration(Math.max(0, w.expiresAt - s.now))} left · ${w.approvers.length} approval(s), ${database ? 'by database logins' : 'names asserted'}` : ''}`
      : 'no real-enable window';
  // Which identity is in force: a name the process asserts (SQLite), or the login the database stamps.
  const who = `operator ${s.operator ?? '?'} (${database ? 'database login' : 'asserted'})`;
  return { mode: controls.mode, detail: ` · ${window} · scopes ${s.scopes?.length ? s.scopes.join(',') : 'none (read-only)'} · ${who}` };
}

/** Who is at the keys, in which mode, and whether anything may run at all. */
export function SafetyBar(props: { width: number }) {
  const { ledger, ...rest } = useCockpit(safetyText);
  if (ledger === undefined) return <ControlsBar {...rest} width={props.width} />;
  return (
    <Box flexDirection="column">
      <Box paddingX={1}>
        <Text bold inverse color={color('red')} wrap="truncate">
          {truncate(ledger, props.width - 2)}
        </Text>
      </Box>
      <ControlsBar {...rest} width={props.width} />
    </Box>
  );
}

function ControlsBar({ stop, mode, detail, width }: { stop?: string; mode?: string; detail?: string; width: number }) {
  const props = { width };
  if (stop !== undefined) {
    return (
      <Box paddingX={1}>
        <Text bold inverse color={color('red')} wrap="truncate">
          {truncate(stop, props.width - 2)}
        </Text>
      </Box>
    );
  }
  if (mode === undefined) return null;
  const modeColor = mode === 'REAL_ENABLED' ? 'red' : mode === 'DRY_RUN' ? 'yellow' : 'cyan';
  const label = ` MODE ${mode} `;
  return (
    <Box paddingX={1}>
      <Text wrap="truncate">
        <Text bold inverse color={color(modeColor)}>{label}</Text>
        <Text dimColor>{truncate(detail ?? '', props.width - 2 - label.length)}</Text>
      </Text>
    </Box>
  );
}
