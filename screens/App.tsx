import React, { useEffect, useState } from 'react';
import { useInput, useStdout } from 'ink';
import { Box } from './ink.js';
import { CockpitContext, useCockpit, useCockpitContext, type CockpitContextValue } from './context.js';
import type { CockpitState } from '../src/store/store.js';
import { commandForKey, dialogCommand, keyName } from '../src/keys/keymap.js';
import { Header } from './Header.js';
import { SafetyBar } from './SafetyBar.js';
import { ReadyPanel } from './ReadyPanel.js';
import { GatePanel } from './GatePanel.js';
import { CanaryPanel } from './CanaryPanel.js';
import { ChecklistPanel } from './ChecklistPanel.js';
import { LedgerPanel } from './LedgerPanel.js';
import { LedgerScreen } from './LedgerScreen.js';
import { ActionPane } from './ActionPane.js';
import { Footer } from './Footer.js';
import { HelpOverlay } from './HelpOverlay.js';
import { Dialog } from './Dialog.js';
import { COMPACT_BELOW_ROWS, cockpitLayout, compactLayout } from './layout.js';
import { ReviewBlock, reviewLines, reviewPage } from './ReviewBlock.js';
import { blockCut, currentStepOf, shownBlock } from './step-command.js';

/** What the keys need to know of the screen: a cut block, and a review's last page. */
interface KeyView {
  rows: number;
  width: number;
  /** The Checklist's rows and width, where the current block is drawn. */
  checklist: { rows: number; width: number };
}

function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 100, rows: stdout.rows || 40 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
  }, [stdout]);
  return size;
}

/** The single input handler: a dialog gets keys first, then the keymap's commands. */
function useRootInput(view: KeyView) {
  const { intents, keymap, store } = useCockpitContext();
  const modal = useCockpit((s) => s.modal?.kind);
  const screen = useCockpit((s) => (s.ledgerScreen ? 'ledger' : 'cockpit'));
  useInput((input, key) => {
    const name = keyName(input, key);
    if (name === 'ctrl+c') return intents.command('app.quit');
    if (modal === 'help') {
      if (name === 'escape' || name === '?' || name === 'q' || name === 'enter') intents.cancel();
      return;
    }
    if (modal === 'review') {
      const cmd = dialogCommand(keymap, name, 'review.');
      if (name === 'escape') return intents.cancel();
      if (name === 'enter') {
        // Enter runs the block only once its last line has been on screen; before, it pages on.
        const s = store.getState();
        const page = s.modal?.kind === 'review' ? s.modal.page : 0;
        return reviewPage(reviewLines(s).lines, page, view).last ? intents.submit() : intents.command('review.next');
      }
      if (cmd) intents.command(cmd.id);
      return;
    }
    if (modal === 'canary') {
      if (name === 'escape') return intents.cancel();
      const cmd = dialogCommand(keymap, name);
      if (cmd) intents.command(cmd.id);
      return;
    }
    if (modal) {
      if (name === 'escape') return intents.cancel();
      if (name === 'enter') return intents.submit();
      if (modal === 'quit') return;
      if (name === 'backspace') return intents.erase();
      if (input && !key.ctrl && !key.meta) {
        // A fast typist or a paste can deliver "rollback⏎" as one chunk: type, then submit.
        const end = input.search(/[\r\n]/);
        if (end === -1) return intents.type(input);
        if (end > 0) intents.type(input.slice(0, end));
        return intents.submit();
      }
      return;
    }
    const cmd = commandForKey(keymap, name, screen);
    if (cmd?.id === 'step.advance' && currentBlockCut(store.getState(), view.checklist)) return intents.command('step.review');
    if (cmd) intents.command(cmd.id);
  });
}

/** The footer's line of who drives (a seat in the run), and the safety bar's ledger-unreachable row. */
function statusLines(s: CockpitState): number {
  return (s.seat ? 1 : 0) + (s.ledgerDown !== undefined ? 1 : 0);
}

function currentBlockCut(s: CockpitState, at: { rows: number; width: number }): boolean {
  return blockCut(shownBlock(currentStepOf(s), s.runbook.checks, s.freshShell, s.runbook.params, at.width), at.rows, at.width);
}

function Cockpit() {
  const { columns, rows } = useTerminalSize();
  const { modal, hasAction, checkCount, ledgerOpen, extra } = useCockpit((s) => ({
    modal: s.modal?.kind,
    hasAction: !!s.action,
    checkCount: Object.keys(s.runbook.checks).length,
    ledgerOpen: !!s.ledgerScreen,
    // Lines the footer and safety bar add while they have something to say (Footer.tsx, SafetyBar.tsx).
    extra: statusLines(s),
  }));
  const wide = columns >= 100;
  const width = Math.max(40, columns);
  const left = wide ? Math.floor(width * 0.58) : width;
  const right = wide ? width - left : width;
  const compact = !wide && rows < COMPACT_BELOW_ROWS;
  const c = compactLayout(rows, hasAction && !modal, modal !== undefined, extra);
  const layout = cockpitLayout(rows, checkCount, extra);
  useRootInput({ rows, width, checklist: compact ? { rows: c.stepRows, width } : { rows: layout.stepRows, width: left } });
  if (modal === 'review') {
    return (
      <Box flexDirection="column" width={width}>
        <Header />
        <ReviewBlock width={width} rows={rows} />
        <Footer />
      </Box>
    );
  }
  if (modal === 'help') {
    return (
      <Box flexDirection="column" width={width}>
        <Header />
        <HelpOverlay width={width} />
      </Box>
    );
  }
  if (ledgerOpen) {
    // The ledger screen replaces the panels: one tree at a time keeps each frame cheap.
    return (
      <Box flexDirection="column" width={width}>
        <Header />
        <LedgerScreen width={width} rows={Math.max(8, rows - 4 - (modal && modal !== 'ledger-filter' ? 5 : 0))} />
        {modal && modal !== 'ledger-filter' ? <Dialog width={width} /> : null}
        <Footer />
      </Box>
    );
  }
  if (compact) {
    // Stacked panels would push the header off the screen: what to act on, nothing more.
    return (
      <Box flexDirection="column" width={width}>
        <Header />
        <SafetyBar width={width} />
        <GatePanel width={width} lines={c.gateLines} />
        <ChecklistPanel width={width} rows={c.stepRows} />
        {hasAction && !modal ? <ActionPane width={width} rows={c.actionRows} /> : null}
        {modal ? <Dialog width={width} /> : null}
        <Footer />
      </Box>
    );
  }
  const { readyLines, gateLines, stepRows, ledgerRows } = layout;
  return (
    <Box flexDirection="column" width={width}>
      <Header />
      <SafetyBar width={width} />
      <Box flexDirection={wide ? 'row' : 'column'}>
        <ReadyPanel width={left} lines={readyLines} />
        <GatePanel width={right} lines={gateLines} />
      </Box>
      <Box flexDirection={wide ? 'row' : 'column'}>
        <ChecklistPanel width={left} rows={stepRows} />
        <Box flexDirection="column" width={right}>
          <CanaryPanel width={right} />
          {hasAction ? <ActionPane width={right} rows={Math.max(3, stepRows - 3)} /> : null}
        </Box>
      </Box>
      {modal ? <Dialog width={width} /> : <LedgerPanel width={width} rows={ledgerRows} />}
      <Footer />
    </Box>
  );
}

export function App(props: { value: CockpitContextValue }) {
  return (
    <CockpitContext.Provider value={props.value}>
      <Cockpit />
    </CockpitContext.Provider>
  );
}
