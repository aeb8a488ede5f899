import React from 'react';
import { Text } from './ink.js';
import { useCockpit } from './context.js';
import { Panel } from './Panel.js';
import { color } from './theme.js';
import { truncate } from './presentation.js';
import { eventLines, runHeaderLines, runSummaryLine, runTableHeader, statusCountsLine } from './ledger-presentation.js';
import { filterText } from '../src/engine/ledger-filter.js';

const STATUS_COLOR: Record<string, string> = { failed: 'red', aborted: 'yellow', rolled_back: 'yellow', succeeded: 'green', running: 'cyan' };

/**
 * The release ledger: status counts, the filter, one line per run (a page at a time), and the
 * selected run expanded to its events. Every line is one <Text>, cut to the width, so the
 * tree stays small however long the ledger is.
 */
export function LedgerScreen(props: { width: number; rows: number }) {
  const { screen, modal, path } = useCockpit((s) => ({ screen: s.ledgerScreen, modal: s.modal, path: s.ledgerPath }));
  if (!screen) return null;
  const inner = props.width - 4;
  const { page, detail } = screen;
  const filter = filterText(screen.filter);
  const editing = modal?.kind === 'ledger-filter' ? modal : undefined;
  const right = `page ${page.page} of ${page.pages} · ${page.total.toLocaleString('en')} run${page.total === 1 ? '' : 's'}`;
  const budget = Math.max(3, props.rows - 6 - (editing ? 1 : 0));
  let body: React.ReactNode[];
  if (detail) {
    const head = runHeaderLines({ ...detail.run });
    const shownTo = Math.min(detail.run.events, detail.seq + detail.events.length - 1);
    const lines: string[] = [];
    for (const ev of detail.events) {
      lines.push(...eventLines(ev, inner, { outputLines: 12 }));
      if (lines.length >= budget - head.length - 1) break;
    }
    body = [
      ...head.map((l, i) => (
        <Text key={`h${i}`} bold={i === 0} wrap="truncate">
          {truncate(l, inner)}
        </Text>
      )),
      <Text key="range" dimColor wrap="truncate">
        {truncate(`events from #${detail.seq} of ${detail.run.events.toLocaleString('en')} (read up to #${shownTo}) · ↑/↓ scroll · ←/→ page · Space or Esc folds`, inner)}
      </Text>,
      ...lines.slice(0, Math.max(1, budget - head.length - 1)).map((l, i) => (
        <Text key={`l${i}`} wrap="truncate">
          {l}
        </Text>
      )),
    ];
  } else if (!page.runs.length) {
    body = [<Text key="none">{filter ? 'No run matches this filter. / changes it; an empty filter shows every run.' : 'No runs recorded in this ledger yet.'}</Text>];
  } else {
    body = [
      <Text key="head" bold wrap="truncate">
        {'  '}
        {runTableHeader(inner - 2)}
      </Text>,
      ...page.runs.slice(0, budget - 1).map((r, i) => (
        <Text key={r.runId} wrap="truncate" inverse={i === screen.selected} color={i === screen.selected ? undefined : color(STATUS_COLOR[r.status] ?? 'white')}>
          {i === screen.selected ? '> ' : '  '}
          {runSummaryLine(r, inner - 2)}
        </Text>
      )),
    ];
  }
  return (
    <Panel title="Release ledger" right={right} width={props.width}>
      <Text wrap="truncate">{truncate(statusCountsLine(page.counts), inner)}</Text>
      {editing ? (
        <Text wrap="truncate">
          filter{'> '}
          {editing.input}
          <Text inverse> </Text>
        </Text>
      ) : (
        <Text dimColor wrap="truncate">
          {truncate(`filter: ${filter || 'none (every run)'} · ${path}`, inner)}
        </Text>
      )}
      {editing ? (
        editing.error ? (
          <Text color={color('red')} wrap="truncate">
            {truncate(editing.error, inner)}
          </Text>
        ) : (
          <Text dimColor wrap="truncate">
            {truncate('e.g. status:failed,aborted type:cutover branch:main since:7d until:2026-11-23 · Enter applies · empty shows all · Esc cancels', inner)}
          </Text>
        )
      ) : null}
      {body}
    </Panel>
  );
}
