import React from 'react';
import { Box, Text } from 'ink';
import { useCockpit } from './context.js';
import { VERDICT_TEXT } from './presentation.js';
import { color, verdictColor } from './theme.js';

export function Header() {
  const { name, runId, status, verdict, resumed, fault, stage } = useCockpit((s) => ({
    stage: s.stage,
    name: s.runbook.name,
    runId: s.run?.runId,
    status: s.run?.status,
    verdict: s.verdict?.verdict,
    resumed: s.resumed,
    fault: s.fault,
  }));
  return (
    <Box justifyContent="space-between" paddingX={1}>
      <Text>
        <Text bold>opscockpit</Text> · {name} · run {runId ?? '—'} · <Text bold color={status === 'running' ? color('cyan') : color('yellow')}>{(status ?? '').replace('_', ' ').toUpperCase()}</Text>
        {resumed ? <Text dimColor> (resumed)</Text> : null}
        {stage ? (
          <Text color={stage.problem && stage.problem !== 'missing' && stage.problem !== 'unsigned' ? color('red') : undefined}>
            {' '}· stage {stage.stage}
            {stage.problem === 'unsigned' ? ' (unsigned)' : stage.problem && stage.problem !== 'missing' ? ` (${stage.problem}: fell back)` : ''}
          </Text>
        ) : null}
        {fault ? <Text color={color('red')}> [demo fault on]</Text> : null}
      </Text>
      <Text bold inverse color={verdictColor(verdict)}>
        {` ${verdict ? VERDICT_TEXT[verdict] : 'PENDING'} `}
      </Text>
    </Box>
  );
}
