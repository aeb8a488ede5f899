// List items → steps and notes, for the walker (walk.ts). Each list item (task, numbered or
// bulleted) is a manual step; a nested item is a step whose title is prefixed with its
// parent's: `Parent › child`. An item holding a GET (`GET /health` in a code span, or a code
// block) becomes that automatic HTTP step, and one holding a shell block a confirm-first
// script step. In a reference section plain items are not steps (task items are); in a section
// of notes (Troubleshooting, FAQ, Known issues, Appendix) nothing is. A plain bullet that
// informs (a version, a link, "Note: …") is a note of the next step. A task item already
// ticked in the document (`- [x]`) is still a step: the document was ticked when it was
// written, not in this run, so the operator confirms it again; its note says so.
import type { BlockAnnotator } from './annotate.js';
import type { BlockAnnotations } from './annotations.js';
import type { OutlineCode, OutlineItem, OutlineList } from './outline.js';
import { proposedCheck } from './requests.js';
import type { CodeStep } from './shell.js';
import type { MarkdownStep } from './structure.js';
import { isNoteBullet, isRemark, squash } from './words.js';

/** What the list reader needs of the walker: the open section and how to add to it. */
export interface ListHost {
  readonly current: { reference: boolean; notes: boolean; isTitle?: true; steps: MarkdownStep[] };
  readonly annotator: BlockAnnotator;
  blockSteps(code: Pick<OutlineCode, 'lang' | 'value'>, line: number, annotations: BlockAnnotations): { steps: CodeStep[]; note?: string };
  addStep(title: string, line: number, found: CodeStep | undefined, context: string[]): void;
  addContext(text: string): void;
}

/** The note a `- [x]` step carries. */
export const TICKED_NOTE = 'Ticked ([x]) in the document: confirm it is done in this run.';

export function walkList(host: ListHost, list: OutlineList, parent: string | undefined): void {
  const items = list.items;
  for (let i = 0; i < items.length; i++) {
    try {
      walkItem(host, items[i], parent, list.ordered);
    } catch {
      // skip an item the walker cannot read
    }
  }
}

function walkItem(host: ListHost, item: OutlineItem, parent: string | undefined, ordered: boolean): void {
  const task = item.checked !== null;
  if (host.current.notes) return notesOf(host, item);
  if (host.current.reference && !task && !numberedUnderTitle(host, ordered, parent)) return;
  if (parent !== undefined && remarkOnStep(host, item)) return;
  const own = item.first ? squash(item.first.text, 200) : '';
  const title = parent ? (own ? joinTitle(parent, own) : parent) : own;
  // Indexed loops, no spreads: this runs once per item of a runbook that may hold thousands.
  const found: CodeStep[] = [];
  const codes = item.first?.codes;
  if (codes) {
    for (let i = 0; i < codes.length; i++) {
      const http = proposedCheck(codes[i]);
      if (http) found.push({ http, label: http.label });
    }
  }
  const context: string[] = [];
  if (item.checked === true) context.push(TICKED_NOTE);
  const parts = item.parts;
  let lists = false;
  for (let i = 0; i < parts.length; i++) {
    const c = parts[i];
    if (c.type === 'code') {
      const { steps, note = c.value } = host.blockSteps(c, c.line, host.annotator.forBlock(c, c.line));
      for (let j = 0; j < steps.length; j++) found.push(steps[j]);
      // Output or data under the item (a log, a JSON answer), or a skipped block, is a note of its step.
      if (steps.length === 0 && note.trim()) context.push(note);
    } else if (c.type === 'text') context.push(c.text);
    else if (c.type === 'annotation') host.annotator.comment(c.annotations, c.line);
    else lists = true;
  }
  // A plain top-level bullet that informs (a version, a link, a remark) is a note; the items
  // under a step ("Verify flows:" › "email link") stay what the step checks.
  const note = parent === undefined && found.length === 0 && !task && !ordered && isNoteBullet(own, item.first?.onlyLink === true);
  if (note && own) host.addContext(own);
  else if (title || found.length > 0) {
    const head = found[0];
    const name = title || head!.label;
    host.addStep(name, item.line, head, context);
    for (let i = 1; i < found.length; i++) host.addStep(joinTitle(name, found[i].label), item.line, found[i], []);
  }
  if (!lists) return;
  for (let i = 0; i < parts.length; i++) {
    const c = parts[i];
    if (c.type === 'list') walkList(host, c.list, note ? parent : title || parent);
  }
}

/** An item of a section of notes: its text, its blocks and its sub-items, all notes. */
function notesOf(host: ListHost, item: OutlineItem): void {
  if (item.first) host.addContext(item.first.text);
  for (const c of item.parts) {
    if (c.type === 'code') {
      host.annotator.forBlock(c, c.line);
      host.addContext(c.value);
    } else if (c.type === 'text') host.addContext(c.text);
    else if (c.type === 'list') for (const sub of c.list.items) notesOf(host, sub);
  }
}

/** "1. Drain the node" right under the document's title, before any section: a step. */
function numberedUnderTitle(host: ListHost, ordered: boolean, parent: string | undefined): boolean {
  return host.current.isTitle === true && (ordered || parent !== undefined);
}

/** A "Note: …" bullet under a step is a note of that step (the last one added), not a step. */
function remarkOnStep(host: ListHost, item: OutlineItem): boolean {
  const last = host.current.steps[host.current.steps.length - 1];
  const text = item.first?.text ?? '';
  if (!last || item.checked !== null || item.parts.length > 0 || !isRemark(text)) return false;
  const t = squash(text);
  if (t) last.context.push(t);
  return true;
}

/** `Parent › child`, the parent cut first: siblings keep the words that tell them apart. */
export function joinTitle(parent: string, own: string, max = 200): string {
  const room = max - own.length - 3;
  if (room >= parent.length) return `${parent} › ${own}`;
  if (room >= 12) return `${parent.slice(0, room - 1)}… › ${own}`;
  return squash(own, max);
}
