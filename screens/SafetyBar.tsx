import React from 'react';
import { Box, Text } from './ink.js';
import { useCockpit, useCockpitContext } from './context.js';
import { formatClock, formatDuration, truncate } from './presentation.js';
import { formatKey, type Command } from '../src/keys/keymap.js';
import { lockOn, lockedText } from '../src/engine/safety.js';
import { runbookNames } from '../src/runbook/identity.js';
import { color } from './theme.js';
import type { CockpitState } from '../src/store/store.js';

/**
 * The bar's text, as strings: the session refreshes the controls every second (another
 * process may have changed them), and the bar redraws only when what it says changed.
 */
function safetyText(s: CockpitState, keyOf: (id: string) => string): { stop?: string; mode?: string; lock?: string; detail?: string; ledger?: string } {
  const ledger =
    s.ledgerDown === undefined
      ? undefined
      : s.ledgerLost
        ? ` LEDGER LOST since ${formatClock(s.ledgerDown)}: file deleted or replaced; nothing is recorded here; q prints where its copy is `
        : ` LEDGER UNREACHABLE since ${formatClock(s.ledgerDown)}: nothing that needs a record runs; live checks go on; reconnecting `;
  return { ...controlsText(s, keyOf), ledger };
}

function controlsText(s: CockpitState, keyOf: (id: string) => string): { stop?: string; mode?: string; lock?: string; detail?: string } {
  const controls = s.controls;
  if (!controls) return {};
  if (controls.stop.on) {
    const who = controls.stop.by ? ` by ${controls.stop.by}${controls.stop.at ? ` at ${formatClock(controls.stop.at)}` : ''}` : '';
    // On here only: nothing new starts in this process, but the other cockpits do not know yet.
    if (controls.stopUnrecorded) return { stop: ` EMERGENCY STOP ON LOCALLY — ${s.ledgerLost ? 'NOT recorded: the ledger is lost' : 'not yet recorded: the ledger is unreachable'} —${who} — nothing runs here ` };
    return { stop: ` EMERGENCY STOP — ${controls.stop.reason ?? ''}${who} — no action runs; ! turns it off with a reason ` };
  }
  const w = controls.window;
  const database = s.identity === 'database';
  const left = w ? `${formatDuration(Math.max(0, w.expiresAt - s.now))} left` : '';
  const approvals = w ? `${w.approvers.length} of ${controls.approvals} approvals${w.approvers.length ? ` (${w.approvers.join(', ')})` : ''}` : '';
  // A pending request is everybody's business: who asked, for how long, how far it got, the key.
  const window = !controls.guarded
    ? 'no safety section: modes and windows off'
    : w && controls.windowStatus === 'PENDING_APPROVAL'
      ? `window ${w.id} by ${w.requestedBy} for ${formatDuration(Math.round((w.expiresAt - w.requestedAt) / 1000) * 1000)}: ${approvals} · ${keyOf('safety.approve')} approves · ${left}`
      : w
        ? `window ${w.id} ${controls.windowStatus}${controls.windowStatus === 'ACTIVE' ? ` · ${left} · ${approvals}, ${database ? 'by database logins' : 'names asserted'}` : ''}`
        : 'no real-enable window';
  const locked = lockOn(controls.locks, runbookNames(s.runbook));
  const lock = locked ? ` LOCKED: ${lockedText(locked)} (${keyOf('safety.unlock')}) ` : undefined;
  // Which identity is in force: a name the process asserts (SQLite), or the login the database stamps.
  const who = `operator ${s.operator ?? '?'} (${database ? 'database login' : 'asserted'})`;
  return { mode: controls.mode, lock, detail: ` · ${window} · scopes ${s.scopes?.length ? s.scopes.join(',') : 'none (read-only)'} · ${who}` };
}

/** Who is at the keys, in which mode, and whether anything may run at all. */
export function SafetyBar(props: { width: number }) {
  const { keymap } = useCockpitContext();
  const { ledger, ...rest } = useCockpit((s) => safetyText(s, (id) => keyFor(keymap, id)));
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

/** The emergency stop, or the mode with the lock, the window, the scopes and who operates. */
function ControlsBar(props: { stop?: string; mode?: string; lock?: string; detail?: string; width: number }) {
  const { stop, mode, lock, detail } = props;
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
        {lock ? <Text bold color={color('red')}>{truncate(lock, props.width - 2 - label.length)}</Text> : null}
        <Text dimColor>{truncate(detail ?? '', Math.max(0, props.width - 2 - label.length - (lock?.length ?? 0)))}</Text>
      </Text>
    </Box>
  );
}

/** The key a command is on, as the help shows it. */
function keyFor(keymap: readonly Command[], id: string): string {
  const key = keymap.find((c) => c.id === id)?.keys[0];
  return key ? formatKey(key) : id;
}
