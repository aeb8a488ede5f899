// The form before the run starts (start-form.ts holds its state and keys): the runbook's title,
// a field per parameter, a row per choice, and the keys. Secret values show as *.
import React, { useEffect, useReducer } from 'react';
import { useInput } from 'ink';
import { Box, Text } from './ink.js';
import { keyName } from '../src/keys/keymap.js';
import { FORM_HINTS, formReducer, type FormField, type StartFormState } from './start-form.js';
import { color } from './theme.js';

export function StartForm({ initial, onDone }: { initial: StartFormState; onDone: (s: StartFormState) => void }) {
  const [state, dispatch] = useReducer(formReducer, initial);
  useInput((input, key) => dispatch(keyName(input, key)));
  useEffect(() => {
    if (state.outcome) onDone(state);
  }, [state.outcome]);
  // Once answered the form leaves the screen to the cockpit.
  if (state.outcome) return null;
  const width = Math.max(...state.fields.map((f) => fieldName(f).length));
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text wrap="truncate-end">
        <Text bold>opscockpit</Text> · <Text bold>{state.title}</Text>
      </Text>
      <Text dimColor>Before the run starts:</Text>
      {state.fields.map((f, i) => (
        <FieldRow key={`${f.kind}:${f.name}`} field={f} active={i === state.at} width={width} />
      ))}
      <Box marginTop={1}>
        <Text dimColor wrap="truncate-end">{FORM_HINTS.map((k) => `${k.keys} ${k.does}`).join(' · ')}</Text>
      </Box>
    </Box>
  );
}

function FieldRow({ field, active, width }: { field: FormField; active: boolean; width: number }) {
  const value =
    field.input === 'pick'
      ? `‹ ${field.options[field.index].label} ›${field.options.length > 2 ? ` (${field.index + 1}/${field.options.length})` : ''}`
      : `${field.input === 'secret' ? '*'.repeat([...field.text].length) : field.text}${active ? '▏' : ''}`;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text wrap="truncate-end">
        <Text color={active ? color('cyan') : undefined} bold={active}>{`${active ? '›' : ' '} ${fieldName(field).padEnd(width)}`}</Text>
        {field.label ? <Text dimColor>{`  ${field.label}`}</Text> : null}
      </Text>
      <Text wrap="truncate-end">
        {'    '}
        <Text inverse={active}>{value || ' '}</Text>
      </Text>
      {field.problem ? <Text color={color('red')} wrap="truncate-end">{`    ✗ ${field.problem}`}</Text> : null}
    </Box>
  );
}

const fieldName = (f: FormField) => (f.kind === 'choice' ? `choose ${f.name}` : f.name);
