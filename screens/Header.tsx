import React from 'react';
import { Box, Text } from './ink.js';
import { useCockpit } from './context.js';
import { VERDICT_TEXT } from './presentation.js';
import { shownParams } from '../src/runbook/params.js';
import { color, verdictColor } from './theme.js';

export function Header() {
  const { name, runId, status, verdict, resumed, fault, stage, params } = useCockpit((s) => ({
    stage: s.stage,
    // The run's parameters, secret ones masked.
    params: shownParams(s.runbook.params),
    name: s.runbook.name,
    runId: s.run?.runId,
    status: s.run?.status,
    verdict: s.verdict?.verdict,
    resumed: s.resumed,
    fault: s.fault,
  }));
  // Status, stage and fault first: when the line is too narrow the name and run id are cut,
  // never what the operator decides on, and the line never wraps.
  return (
    <Box justifyContent="space-between" paddingX={1}>
      <Box flexShrink={1}>
        <Text wrap="truncate-end">
          <Text bold>opscockpit</Text> · <Text bold color={status === 'running' ? color('cyan') : color('yellow')}>{(status ?? '').replace('_', ' ').toUpperCase()}</Text>
          {resumed ? <Text dimColor> (resumed)</Text> : null}
          {stage ? (
            <Text color={stage.problem && stage.problem !== 'missing' && stage.problem !== 'unsigned' ? color('red') : undefined}>
              {' '}· stage {stage.stage}
              {stage.problem === 'unsigned' ? ' (unsigned)' : stage.problem && stage.problem !== 'missing' ? ` (${stage.problem}: fell back)` : ''}
            </Text>
          ) : null}
          {fault ? <Text color={color('red')}> [demo fault on]</Text> : null} · {name} · run {runId ?? '—'}
          {params ? <Text dimColor> · {params}</Text> : null}
        </Text>
      </Box>
      <Box flexShrink={0} marginLeft={1}>
        <Text bold inverse color={verdictColor(verdict)}>
          {` ${verdict ? VERDICT_TEXT[verdict] : 'PENDING'} `}
        </Text>
      </Box>
    </Box>
  );
}
