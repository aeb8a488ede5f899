import React from 'react';
import { Box, Text } from './ink.js';
import { useCockpitContext } from './context.js';
import { formatKey, type Command, type CommandGroup } from '../src/keys/keymap.js';
import { Panel } from './Panel.js';

const GROUPS: CommandGroup[] = ['Checklist', 'Actions', 'View', 'Ledger', 'Dialog'];
/** On a wide terminal the ledger screen's and the dialogs' keys stand in a second column. */
const SECOND_COLUMN: CommandGroup[] = ['Ledger', 'Dialog'];

function Group(props: { group: CommandGroup; commands: Command[]; width: number }) {
  if (!props.commands.length) return null;
  return (
    <Box flexDirection="column" marginTop={1} width={props.width}>
      <Text bold>{props.group}</Text>
      {props.commands.map((c) => (
        <Text key={c.id} wrap="truncate">
          {'  '}
          {c.keys.map(formatKey).join(', ').padEnd(10)} {c.title}
          {c.dangerous ? ' (type the action name to confirm)' : ''}
        </Text>
      ))}
    </Box>
  );
}

/** Generated from the keymap registry. */
export function HelpOverlay(props: { width: number }) {
  const { keymap } = useCockpitContext();
  const inner = props.width - 4;
  const two = inner >= 150;
  const column = (groups: CommandGroup[], width: number) => (
    <Box flexDirection="column" width={width}>
      {groups.map((g) => (
        <Group key={g} group={g} commands={keymap.filter((c) => c.group === g)} width={width} />
      ))}
    </Box>
  );
  return (
    <Panel title="Help — keys" right="? or Esc closes" width={props.width}>
      {two ? (
        <Box>
          {column(GROUPS.filter((g) => !SECOND_COLUMN.includes(g)), Math.floor(inner / 2))}
          {column(SECOND_COLUMN, inner - Math.floor(inner / 2))}
        </Box>
      ) : (
        column(GROUPS, inner)
      )}
    </Panel>
  );
}
