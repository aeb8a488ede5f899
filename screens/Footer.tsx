import React from 'react';
import { Box, Text } from './ink.js';
import { useCockpit, useCockpitContext } from './context.js';
import { formatKey, hintedCommands } from '../src/keys/keymap.js';
import { color } from './theme.js';

/** Key hints come from the keymap registry, never typed by hand. */
export function Footer() {
  const { keymap } = useCockpitContext();
  const { flash, screen, seat } = useCockpit((s) => ({ flash: s.flash, screen: s.ledgerScreen ? ('ledger' as const) : ('cockpit' as const), seat: s.seat }));
  const observing = seat?.role === 'observer';
  const hints = hintedCommands(keymap, screen, observing).map((c) => `${c.keys.map(formatKey).join('/')} ${c.hint}`);
  return (
    <Box flexDirection="column" paddingX={1}>
      {/* Who drives: an observer's keys that act are off, and this says why. */}
      {observing ? (
        <Text wrap="truncate" color={color('yellow')}>
          {seat.watch ? 'WATCHING' : 'OBSERVING'} — {seat.line}
        </Text>
      ) : seat ? (
        <Text wrap="truncate" dimColor>
          {seat.line}
        </Text>
      ) : null}
      {flash ? (
        <Text wrap="truncate" color={color(flash.level === 'error' ? 'red' : flash.level === 'warn' ? 'yellow' : 'cyan')}>
          {flash.text}
        </Text>
      ) : (
        <Text> </Text>
      )}
      <Text dimColor wrap="truncate">
        {hints.join(' · ')}
      </Text>
    </Box>
  );
}
