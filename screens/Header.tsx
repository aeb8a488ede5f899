import React from 'react';
import { Box, Text } from './ink.js';
import { useCockpit } from './context.js';
import { shownParams } from '../src/runbook/params.js';
import { shownChoices } from '../src/runbook/choices.js';
import { color, verdictColor } from './theme.js';

export function Header() {
  const { name, runId, status, verdict, resumed, fault, stage, params } = useCockpit((s) => ({
    stage: s.stage,
    // The run's chosen options and parameters (secret ones masked): what this run walks with.
    params: [shownChoices(s.runbook.choices), shownParams(s.runbook.params)].filter(Boolean).join(' · '),
    name: s.runbook.name,
    runId: s.run?.runId,
    status: s.run?.status,
    verdict: s.verdict?.verdict,
    resumed: s.resumed,
    fault: s.fault,
  }));
  // Status, stage and fault first, then the runbook and what this run walks with (its choices
  // and parameters): when the line is too narrow the run id is cut first, never what the
  // operator decides on, and the line never wraps.
  return (
    <Box justifyContent="space-between" paddingX={1}>
      <Box flexShrink={1}>
        <Text wrap="truncate-end">
          <Text bold>opscockpit</Text> · <Text bold color={status === 'running' ? color('cyan') : color('yellow')}>{(status ?? '').replace('_', ' ').toUpperCase()}</Text>
          {resumed ? <Text dimColor> (resumed)</Text> : null}
          {stage ? (
            <Text color={stage.problem && stage.problem !== 'missing' && stage.problem !== 'unsigned' ? color('red') : undefined}>
              {' '}· stage {stage.stage}
              {/* Unsigned (no stage keys) is the normal local case; a bad signature is not. */}
              {stage.problem && stage.problem !== 'missing' && stage.problem !== 'unsigned' ? ` (${stage.problem}: fell back)` : ''}
            </Text>
          ) : null}
          {fault ? <Text color={color('red')}> [demo fault on]</Text> : null} · {name}
          {params ? <Text dimColor> · {params}</Text> : null} · run {runId ?? '—'}
        </Text>
      </Box>
      <Box flexShrink={0} marginLeft={1}>
        <Text bold inverse color={verdictColor(verdict)}>
          {/* The short form: the Gate panel spells it out, and the header keeps its room. */}
          {` ${verdict ?? 'PENDING'} `}
        </Text>
      </Box>
    </Box>
  );
}
