import React from 'react';
import { Text } from './ink.js';
import { useCockpit } from './context.js';
import { Panel } from './Panel.js';
import { formatDuration, truncate } from './presentation.js';
import { color } from './theme.js';

export function ActionPane(props: { width: number; rows: number }) {
  const action = useCockpit((s) => s.action);
  if (!action) return null;
  const stateColor = color(action.state === 'succeeded' ? 'green' : action.state === 'running' ? 'cyan' : 'red');
  const lines = action.output.slice(-props.rows);
  return (
    <Panel title={`Action: ${action.name}`} right={action.durationMs !== undefined && action.state !== 'unknown' ? formatDuration(action.durationMs) : undefined} width={props.width} borderColor={stateColor}>
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate">
          {truncate(l, props.width - 4)}
        </Text>
      ))}
      <Text bold color={stateColor} wrap="truncate-end">
        {action.state.toUpperCase()}
        {action.reason ? ` — ${action.reason}` : ''}
      </Text>
    </Panel>
  );
}
