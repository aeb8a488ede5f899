// How many lines each panel of the cockpit may take, so that a frame never grows taller than
// the terminal: a frame taller than the terminal scrolls it, and the header goes first.
// No React here, so the sums are unit-tested on their own.

export interface CockpitLayout {
  /** Lines for the Ready panel's checks, their reason lines included. */
  readyLines: number;
  /** Lines for the Gate panel's headline, reasons and "… more" line. */
  gateLines: number;
  /** Steps the Checklist panel shows. */
  stepRows: number;
  /** Events the Ledger panel shows. */
  ledgerRows: number;
}

/**
 * Fixed lines of the wide layout (panels side by side): header, safety bar and footer (4);
 * the borders, titles and "… more" lines of the Ready/Gate row (4), of the Checklist row
 * (title, progress bar, the current step's detail line: 5) and of the Ledger (title, the
 * ledger path and the runs table's extra line: 5); and one line left free, since a frame as
 * tall as the terminal scrolls it by the cursor's line.
 */
export const FIXED_LINES = 19;

/**
 * Ready takes up to a fifth of the rows (two lines per check that is not healthy), the ledger
 * a sixth, and the checklist what is left, up to a quarter: in a terminal of 40 rows or more
 * the wide layout fits whatever the runbook holds.
 */
export function cockpitLayout(rows: number, checkCount: number, extraLines = 0): CockpitLayout {
  const free = Math.max(9, rows - FIXED_LINES - extraLines);
  const readyLines = Math.min(2 * checkCount, Math.max(3, Math.floor(rows / 5)));
  const ledgerRows = Math.max(3, Math.floor(rows / 6));
  const stepRows = Math.max(3, Math.min(Math.floor(rows / 4), free - readyLines - ledgerRows));
  return { readyLines, gateLines: readyLines + 1, stepRows, ledgerRows };
}

/**
 * A narrow, short terminal (80x24): panels stack, so only what the operator acts on is drawn
 * (the Gate, the Checklist and a running action) and the Ready and Ledger panels give way. Each
 * panel costs three lines of border and title; header, safety bar, footer and one free line
 * five more; status lines that come and go (who drives, the ledger out of reach) are
 * `extraLines`. An open dialog takes the Checklist's rows it needs (DIALOG_LINES), and a running
 * action's pane gives way to it.
 */
export function compactLayout(rows: number, hasAction: boolean, dialog = false, extraLines = 0): { gateLines: number; stepRows: number; actionRows: number } {
  const gateLines = 2;
  // The action's pane: border, title and its state line (4) around up to three output lines,
  // fewer when the Checklist would otherwise have no line left.
  const fixed = 5 + extraLines + (3 + gateLines) + (3 + 2) + (hasAction ? 4 : 0) + (dialog ? DIALOG_LINES : 0);
  const actionRows = hasAction ? Math.max(1, Math.min(3, rows - fixed - 1)) : 0;
  return { gateLines, stepRows: Math.max(1, rows - fixed - actionRows), actionRows };
}

/** The tallest dialog at 80 columns: border and title (2), its text (up to 3 lines), the input, the hint or error. */
export const DIALOG_LINES = 7;

/** Narrow terminals shorter than this draw the compact layout. */
export const COMPACT_BELOW_ROWS = 44;

/** Terminal cells of one character: two for the wide East Asian ranges, one otherwise. */
function cells(code: number): number {
  return (code >= 0x1100 && code <= 0x115f) || (code >= 0x2e80 && code <= 0xa4cf) || (code >= 0xac00 && code <= 0xd7a3) || (code >= 0xf900 && code <= 0xfaff) || (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff60) || (code >= 0xffe0 && code <= 0xffe6) || (code >= 0x1f300 && code <= 0x1faff) || (code >= 0x20000 && code <= 0x3fffd)
    ? 2
    : 1;
}

/**
 * Lines a text takes when wrapped at `width` cells by words, a word longer than a line split
 * across lines (as Ink's wrap="wrap" does). Counted from above when in doubt: a frame one line
 * short is better than a header scrolled off.
 */
export function wrappedLines(text: string, width: number): number {
  if (width <= 0) return 1;
  let lines = 0;
  for (const paragraph of text.split('\n')) {
    lines++;
    let used = 0;
    for (const word of paragraph.split(' ')) {
      let w = 0;
      for (const ch of word) w += cells(ch.codePointAt(0)!);
      const need = used === 0 ? w : used + 1 + w;
      if (need <= width) {
        used = need;
        continue;
      }
      if (used > 0) lines++;
      // The word starts a line; a word wider than the line fills whole lines.
      lines += Math.max(0, Math.ceil(w / width) - 1);
      used = w % width === 0 && w > 0 ? width : w % width;
    }
  }
  return lines;
}
