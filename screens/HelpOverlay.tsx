import React from 'react';
import { Box, Text } from 'ink';
import { useCockpitContext } from './context.js';
import { formatKey, type CommandGroup } from '../src/keys/keymap.js';
import { Panel } from './Panel.js';

const GROUPS: CommandGroup[] = ['Checklist', 'Actions', 'View', 'Ledger', 'Dialog'];

/** Generated from the keymap registry. */
export function HelpOverlay(props: { width: number }) {
  const { keymap } = useCockpitContext();
  return (
    <Panel title="Help — keys" right="? or Esc closes" width={props.width}>
      {GROUPS.map((g) => {
        const cmds = keymap.filter((c) => c.group === g);
        if (!cmds.length) return null;
        return (
          <Box key={g} flexDirection="column" marginTop={1}>
            <Text bold>{g}</Text>
            {cmds.map((c) => (
              <Text key={c.id}>
                {'  '}
                {c.keys.map(formatKey).join(', ').padEnd(10)} {c.title}
                {c.dangerous ? ' (type the action name to confirm)' : ''}
              </Text>
            ))}
          </Box>
        );
      })}
    </Panel>
  );
}
