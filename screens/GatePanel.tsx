import React from 'react';
import { Text } from 'ink';
import { useCockpit } from './context.js';
import { Panel } from './Panel.js';
import { VERDICT_TEXT, truncate } from './presentation.js';
import { verdictColor } from './theme.js';

export function GatePanel(props: { width: number; rows: number }) {
  const verdict = useCockpit((s) => s.verdict);
  const reasons = verdict?.reasons ?? [];
  const shown = reasons.slice(0, Math.max(1, props.rows - 1));
  return (
    <Panel title="Gate" right={verdict ? verdict.phase : undefined} width={props.width} borderColor={verdictColor(verdict?.verdict)}>
      <Text bold color={verdictColor(verdict?.verdict)}>
        {verdict ? VERDICT_TEXT[verdict.verdict] : 'PENDING'}
        {verdict?.verdict === 'GO' && reasons.length === 0 ? ' — every blocking check is healthy' : ''}
      </Text>
      {shown.map((r, i) => (
        <Text key={i} wrap="truncate">
          • {truncate(r, props.width - 6)}
        </Text>
      ))}
      {reasons.length > shown.length ? <Text dimColor>… {reasons.length - shown.length} more</Text> : null}
    </Panel>
  );
}
