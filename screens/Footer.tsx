import React from 'react';
import { Box, Text } from './ink.js';
import { useCockpit, useCockpitContext } from './context.js';
import { formatKey, hintedCommands } from '../src/keys/keymap.js';
import { color } from './theme.js';

/** Key hints come from the keymap registry, never typed by hand. */
export function Footer() {
  const { keymap } = useCockpitContext();
  const { flash, screen } = useCockpit((s) => ({ flash: s.flash, screen: s.ledgerScreen ? ('ledger' as const) : ('cockpit' as const) }));
  const hints = hintedCommands(keymap, screen).map((c) => `${c.keys.map(formatKey).join('/')} ${c.hint}`);
  return (
    <Box flexDirection="column" paddingX={1}>
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
