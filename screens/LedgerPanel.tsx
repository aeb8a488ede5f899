import React from 'react';
import { Box, Text } from './ink.js';
import { Table } from '@alcalzone/ink-table';
import { useCockpit } from './context.js';
import { Panel } from './Panel.js';
import { describeEvent, formatClock, truncate } from './presentation.js';
import { visible } from '../src/visible.js';

/** This run's newest events, and beside them (when there is room) the release ledger's recent runs. */
export function LedgerPanel(props: { width: number; rows: number }) {
  const { events, runs, path, current } = useCockpit((s) => ({ events: s.events, runs: s.runs, path: s.ledgerPath, current: s.run?.runId }));
  const recent = events.slice(-props.rows).reverse();
  const counts = runs.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
  const summary = Object.entries(counts).map(([k, v]) => `${k.replace('_', ' ')} ${v}`).join(' · ');
  // Earlier runs only (the header names this one). The table draws a rule under every row:
  // two lines per run, plus header and borders.
  const earlier = runs.filter((r) => r.runId !== current);
  const tableRuns = props.width >= 110 && earlier.length ? Math.max(1, Math.floor((props.rows - 2) / 2)) : 0;
  // The table draws its own text: what comes from the ledger file is made visible here.
  const rows = earlier.slice(0, tableRuns).map((r) => ({ run: visible(r.runId), status: visible(r.status.replace('_', ' ')), started: formatClock(r.startedAt) }));
  const eventWidth = tableRuns ? props.width - 54 : props.width - 4;
  return (
    <Panel title="Ledger" right={truncate(`${runs.length} recent runs: ${summary}`, props.width - 12)} width={props.width}>
      <Box>
        <Box flexDirection="column" width={eventWidth}>
          {recent.map((ev) => (
            <Text key={`${ev.runId}/${ev.seq}`} wrap="truncate">
              <Text dimColor>
                {formatClock(ev.at)} #{String(ev.seq).padEnd(4)}
              </Text>{' '}
              {truncate(`${describeEvent(ev)}  (${ev.operator})`, eventWidth - 16)}
            </Text>
          ))}
        </Box>
        {tableRuns ? <Table data={rows} /> : null}
      </Box>
      <Text dimColor wrap="truncate">
        {truncate(path, props.width - 4)}
      </Text>
    </Panel>
  );
}
