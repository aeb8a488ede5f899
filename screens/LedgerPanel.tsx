import React from 'react';
import { Text } from 'ink';
import { useCockpit } from './context.js';
import { Panel } from './Panel.js';
import { describeEvent, formatClock, truncate } from './presentation.js';

export function LedgerPanel(props: { width: number; rows: number }) {
  const { events, runs, path } = useCockpit((s) => ({ events: s.events, runs: s.runs, path: s.ledgerPath }));
  const recent = events.slice(-props.rows).reverse();
  const counts = runs.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
  const summary = Object.entries(counts).map(([k, v]) => `${k.replace('_', ' ')} ${v}`).join(' · ');
  return (
    <Panel title="Ledger" right={truncate(`${runs.length} recent runs: ${summary}`, props.width - 12)} width={props.width}>
      {recent.map((ev) => (
        <Text key={`${ev.runId}/${ev.seq}`} wrap="truncate">
          <Text dimColor>{formatClock(ev.at)} #{String(ev.seq).padEnd(4)}</Text> {truncate(`${describeEvent(ev)}  (${ev.operator})`, props.width - 20)}
        </Text>
      ))}
      <Text dimColor wrap="truncate">{truncate(path, props.width - 4)}</Text>
    </Panel>
  );
}
