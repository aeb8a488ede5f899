// Outline (outline.ts) → MarkdownRunbook. The document's blocks are walked once, in order.
//
// Phases. Every heading opens a section. A section whose heading names a phase (words.ts:
// pre-flight, before, precondition, pre-release, pre-deploy, 사전, 점검 … / post, after,
// verification, 검증 …) goes to that phase; a heading that names none inherits its parent
// heading's phase. Any other section goes to preflight while no postflight section has been
// seen yet, and to postflight after one: a runbook reads top to bottom, so what follows the
// first "after" part happens after the change. A lead-in paragraph that names a phase
// ("Before production run:", "After run:") opens a sub-section the same way, and so does a
// one-item numbered list followed by a list ("4. Smoke tests after deploy" + its tasks).
//
// Steps. Each list item (task, numbered or bulleted) is a manual step; a nested item is a
// step whose title is prefixed with its parent's: `Parent › child`. An item holding a GET
// (`GET /health` in a code span, or a code block) becomes that automatic HTTP step, and one
// holding a shell block a confirm-first script step. Fenced blocks outside lists are steps of
// their own (shell.ts). Paragraphs, tables and notes become the context of the next step in
// the section (or of the last one when nothing follows). Sections of reference material
// (Scope, Roles, Notes, templates …) and the text under the document title give no steps
// from plain list items; task items are always steps. A plain bullet that informs (a
// version, a link, "Note: …") is a note of the next step.
//
// Going back and choosing. A section about going back (Roll back, Revert, If … fails) and
// everything under it is the rollback procedure, not forward steps. Sibling sections that
// name alternatives (Linux / macOS / Windows, online / offline, the roles under "Roles") and
// Hugo tabs are a choice (choices.ts). Hugo alerts and quotes are notes.
//
// Annotations (an opscockpit comment or fence attributes) say what a block's steps are
// (annotate.ts): their id, timeout, confirmation, shell, scope; a `rollback` block joins the
// rollback procedure, a `skip` block is a note.
import type { Phase } from '../model.js';
import type { OutlineBlock, OutlineCode, OutlineItem, OutlineList } from './outline.js';
import { BlockAnnotator, rollbackWith, stepOf, type AnnotationProblem } from './annotate.js';
import type { BlockAnnotations } from './annotations.js';
import { choicesOf, type WalkedSection } from './choices.js';
import type { CodeStep } from './shell.js';
import { shortcodes, type Shortcode } from './shortcodes.js';
import { proposedCheck } from './requests.js';
import type { MarkdownRollback, MarkdownRunbook, MarkdownStep } from './structure.js';
import { headingPhase, isNoteBullet, isReference, isRemark, isRollback, isStepHeading, leadIn, phaseOf, SlugSet, squash } from './words.js';

interface Heading {
  depth: number;
  title: string;
  phase?: Phase;
  /** The document's own title (its first heading when that is the only h1 so far). */
  isTitle: boolean;
  /** The heading or one above it is about going back. */
  rollback: boolean;
  /** Index of its section. */
  section: number;
}

interface OpenSection extends WalkedSection {
  /** Reference material: plain list items are not steps. */
  reference: boolean;
  /** The phase the heading (or an ancestor) names, if any. */
  named?: Phase;
  /** Directly under the document title (or before it). */
  isIntro: boolean;
  /** Heading path shown as each step's context. */
  path: string;
  /** A "Step N" heading: a step of its own when nothing under it is. */
  stepHeading: boolean;
  /** The document's title heading: its text describes, but its numbered items are steps. */
  isTitle?: true;
}

export class RunbookWalker {
  private readonly sections: OpenSection[] = [];
  /** Variables set by the blocks read so far (`export ENV=gprd`). */
  private readonly defined = new Set<string>();
  /** Reads each block's annotations; its problems are the runbook's errors (read.ts). */
  private readonly annotator = new BlockAnnotator();
  /** Steps of blocks annotated `rollback`, outside a rollback section. */
  private readonly rollbackSteps: MarkdownStep[] = [];
  /** Inside a Hugo alert or notice: notes only. */
  private inAlert = false;
  /** Inside Hugo tabs: the section the tabs sit in, and each tab's section. */
  private tabs?: { within: OpenSection; options: number[] };
  private readonly tabGroups: { within: number; options: number[] }[] = [];
  private readonly slugs = new SlugSet();
  private readonly stack: Heading[] = [];
  private seenPost = false;
  private current: OpenSection;
  private context: string[] = [];
  /** Notes under the title (a warning, a table) when no step follows them there. */
  private introNotes: string[] = [];
  private title?: string;
  private description?: string;

  constructor() {
    this.current = this.open('Introduction', 1, undefined, true);
  }

  walk(nodes: readonly OutlineBlock[]): Omit<MarkdownRunbook, 'frontMatter' | 'parser'> & { title?: string; problems: AnnotationProblem[] } {
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      try {
        if (this.oneItemLeadIn(node, nodes[i + 1])) continue;
        this.block(node);
      } catch {
        // A walker bug must not take the runbook down: the block is skipped.
      }
    }
    this.closeSection();
    const forward = this.sections.filter((s) => !s.rollback);
    const back = this.sections.filter((s) => s.rollback);
    let rollback: MarkdownRollback | undefined;
    if (back.length > 0) rollback = { title: back[0].title, line: back[0].line, steps: back.flatMap((s) => s.steps) };
    rollback = rollbackWith(rollback, this.rollbackSteps);
    const choices = choicesOf(this.sections, this.tabGroups);
    return {
      name: this.title ?? 'Markdown runbook',
      title: this.title,
      description: this.description,
      sections: forward.filter((s) => s.steps.length > 0).map(({ title, slug, line, phase, steps }) => ({ title, slug, line, phase, steps })),
      ...(choices.length > 0 ? { choices } : {}),
      ...(rollback && rollback.steps.length > 0 ? { rollback } : {}),
      problems: this.annotator.problems,
    };
  }

  private block(node: OutlineBlock): void {
    switch (node.type) {
      case 'heading': {
        const title = squash(node.text, 200) || `Section at line ${node.line}`;
        while (this.stack.length && this.stack[this.stack.length - 1].depth >= node.depth) this.stack.pop();
        const isTitle = node.depth === 1 && this.title === undefined && this.sections.every((s) => s.steps.length === 0);
        if (isTitle) this.title = title;
        const phase = headingPhase(title) ?? this.inheritedPhase();
        const rollback = !isTitle && (isRollback(title) || this.stack.some((h) => h.rollback));
        const parent = this.stack[this.stack.length - 1]?.section;
        this.closeSection();
        this.tabs = undefined;
        this.inAlert = false;
        this.stack.push({ depth: node.depth, title, phase, isTitle, rollback, section: this.sections.length });
        this.current = this.open(title, node.line, phase, isTitle || isReference(title), undefined, { depth: node.depth, parent, rollback });
        if (isTitle) this.current.isTitle = true;
        return;
      }
      case 'paragraph': {
        const text = node.text;
        if (text.includes('{{')) {
          const codes = shortcodes(text);
          if (codes.length > 0) return this.shortcodes(codes, node.line);
        }
        if (this.inAlert) return this.addContext(text);
        const lead = leadIn(text);
        const phase = lead ? phaseOf(lead) : undefined;
        // A lead-in opens a sub-section only where it changes the phase the heading gave.
        if (lead && phase && (this.current.named === undefined || phase !== this.current.named))
          return this.subSection(lead, node.line, phase);
        if (this.describes() && !lead) this.description = squash(text, 300);
        else this.addContext(text);
        return;
      }
      case 'list':
        if (this.inAlert) return this.addContext(node.items.map((i) => i.first?.text ?? '').join('; '));
        return this.list(node, undefined);
      case 'code': {
        const annotations = this.annotator.forBlock(node, node.line);
        if (this.inAlert) return this.addContext(node.value);
        return this.code(node, node.line, annotations);
      }
      case 'note':
        return this.addContext(node.text);
      case 'tabs':
        return this.shortcodes(node.codes, node.line);
      default:
        // An `<!-- opscockpit: check -->` comment annotates the block after it.
        if (node.type === 'annotation') this.annotator.comment(node.annotations, node.line);
        return; // thematic breaks, definitions, front matter (read elsewhere)
    }
  }

  /** Hugo shortcodes: tabs are a choice, each tab a section; alerts and notices are notes. */
  private shortcodes(codes: Shortcode[], line: number): void {
    for (const c of codes) {
      if (c.kind === 'text') this.addContext(c.text);
      else if (c.kind === 'alert') this.inAlert = c.open;
      else if (c.kind === 'tabs' && c.open) this.tabs = { within: this.current, options: [] };
      else if (c.kind === 'tabs') {
        const tabs = this.tabs;
        this.tabs = undefined;
        if (tabs && tabs.options.length > 0) {
          this.tabGroups.push({ within: this.sections.indexOf(tabs.within), options: tabs.options });
          // What follows the tabs belongs to the section they sat in.
          this.subSection(tabs.within.title, line, tabs.within.named, true);
        }
      } else if (c.kind === 'tab' && c.open && this.tabs) {
        this.subSection(c.title || `Tab at line ${line}`, line, this.tabs.within.named);
        this.tabs.options.push(this.sections.length - 1);
      }
    }
  }

  /** The phase the nearest heading above that names one names. */
  private inheritedPhase(): Phase | undefined {
    for (let i = this.stack.length - 1; i >= 0; i--) if (this.stack[i].phase) return this.stack[i].phase;
    return undefined;
  }

  /** The titles of the open headings but the document's own: a section's path. */
  private headingPath(): string[] {
    const out: string[] = [];
    for (const h of this.stack) if (!h.isTitle) out.push(h.title);
    return out;
  }

  /** `1. Prepare release PR` followed by a list: a sub-section titled by the item. */
  private oneItemLeadIn(node: OutlineBlock, next: OutlineBlock | undefined): boolean {
    if (node.type !== 'list' || !node.ordered || node.items.length !== 1 || next?.type !== 'list') return false;
    const item = node.items[0];
    if (item.checked !== null) return false;
    if (!item.soleParagraph) return false;
    const title = squash(item.first?.text ?? '', 200);
    if (!title) return false;
    this.subSection(title, node.line, phaseOf(title) ?? this.current.named);
    return true;
  }

  private subSection(title: string, line: number, phase: Phase | undefined, resumes = false): void {
    this.closeSection();
    const path = this.headingPath();
    if (!resumes) path.push(title);
    const top = this.stack[this.stack.length - 1];
    const depth = (top?.depth ?? 0) + 0.5;
    this.current = this.open(title, line, phase, resumes && this.current.reference, path.join(' › ') || title, { depth, parent: top?.section, rollback: top?.rollback ?? false });
  }

  private open(title: string, line: number, named: Phase | undefined, reference: boolean, path?: string, at = { depth: 0, parent: undefined as number | undefined, rollback: false }): OpenSection {
    if (named === 'postflight') this.seenPost = true;
    const phase: Phase = named ?? (this.seenPost ? 'postflight' : 'preflight');
    const isIntro = this.stack.length === 0 || this.stack[this.stack.length - 1].isTitle;
    const section: OpenSection = {
      title,
      slug: this.slugs.take(title),
      line,
      phase,
      steps: [],
      reference,
      named,
      isIntro,
      path: squash(path ?? (this.headingPath().join(' › ') || title), 400),
      stepHeading: isStepHeading(title),
      depth: at.depth,
      parent: at.parent,
      rollback: at.rollback,
    };
    this.sections.push(section);
    return section;
  }

  private list(list: OutlineList, parent: string | undefined): void {
    const items = list.items;
    for (let i = 0; i < items.length; i++) {
      try {
        this.item(items[i], parent, list.ordered);
      } catch {
        // skip an item the walker cannot read
      }
    }
  }

  private item(item: OutlineItem, parent: string | undefined, ordered: boolean): void {
    const task = item.checked !== null;
    if (this.current.reference && !task && !this.numberedUnderTitle(ordered, parent)) return;
    if (parent !== undefined && this.remarkOnStep(item)) return;
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
    const parts = item.parts;
    let lists = false;
    for (let i = 0; i < parts.length; i++) {
      const c = parts[i];
      if (c.type === 'code') {
        const { steps, note = c.value } = this.blockSteps(c, c.line, this.annotator.forBlock(c, c.line));
        for (let j = 0; j < steps.length; j++) found.push(steps[j]);
        // Output or data under the item (a log, a JSON answer), or a skipped block, is a note of its step.
        if (steps.length === 0 && note.trim()) context.push(note);
      } else if (c.type === 'text') context.push(c.text);
      else if (c.type === 'annotation') this.annotator.comment(c.annotations, c.line);
      else lists = true;
    }
    // A plain top-level bullet that informs (a version, a link, a remark) is a note; the items
    // under a step ("Verify flows:" › "email link") stay what the step checks.
    const note = parent === undefined && found.length === 0 && !task && !ordered && isNoteBullet(own, item.first?.onlyLink === true);
    if (note && own) this.addContext(own);
    else if (title || found.length > 0) {
      const head = found[0];
      const name = title || head!.label;
      this.addStep(name, item.line, head, context);
      for (let i = 1; i < found.length; i++) this.addStep(joinTitle(name, found[i].label), item.line, found[i], []);
    }
    if (!lists) return;
    for (let i = 0; i < parts.length; i++) {
      const c = parts[i];
      if (c.type === 'list') this.list(c.list, note ? parent : title || parent);
    }
  }

  /** "1. Drain the node" right under the document's title, before any section: a step. */
  private numberedUnderTitle(ordered: boolean, parent: string | undefined): boolean {
    return this.current.isTitle === true && (ordered || parent !== undefined);
  }

  /** A "Note: …" bullet under a step is a note of that step (the last one added), not a step. */
  private remarkOnStep(item: OutlineItem): boolean {
    const last = this.current.steps[this.current.steps.length - 1];
    const text = item.first?.text ?? '';
    if (!last || item.checked !== null || item.parts.length > 0 || !isRemark(text)) return false;
    const t = squash(text);
    if (t) last.context.push(t);
    return true;
  }

  private blockSteps(code: Pick<OutlineCode, 'lang' | 'value'>, line: number, annotations: BlockAnnotations): { steps: CodeStep[]; note?: string } {
    return this.annotator.steps(code, line, annotations, { defined: this.defined, inRollback: this.current.rollback });
  }

  private code(code: Pick<OutlineCode, 'lang' | 'value'>, line: number, annotations: BlockAnnotations): void {
    const { steps, note = code.value } = this.blockSteps(code, line, annotations);
    if (steps.length === 0) {
      if (note.trim()) this.addContext(note);
      return;
    }
    // Under a "Step N" heading, the heading names its one block.
    const own = this.current.stepHeading && steps.length === 1 && this.current.steps.length === 0;
    for (let i = 0; i < steps.length; i++) this.addStep(own ? this.current.title : steps[i].label, line, steps[i], []);
  }

  private addStep(title: string, line: number, found: CodeStep | undefined, context: string[]): void {
    // A block annotated rollback leaves the notes around it to the forward steps.
    if (found?.rollback) return void this.rollbackSteps.push(stepOf(squash(title, 200), line, this.current.path, context.map((t) => squash(t)).filter(Boolean), found));
    // this.context holds squashed texts already (addContext).
    let all = this.context;
    for (let i = 0; i < context.length; i++) {
      const t = squash(context[i]);
      if (!t) continue;
      if (all === this.context) all = this.context.slice();
      all.push(t);
    }
    this.context = [];
    const step = stepOf(squash(title, 200), line, this.current.path, all, found);
    // A block for a person to type (PowerShell, cmd) is shown with its step: every command.
    if (found && 'manual' in found) step.context.push(squash(found.manual.split('\n').join('; ')));
    // What a prompted session shows under its commands: what the operator should expect to see.
    if (found && 'script' in found && found.script.output) step.context.push(squash(`Expected output: ${found.script.output.join('; ')}`));
    if (this.introNotes.length > 0) {
      step.context.unshift(...this.introNotes);
      this.introNotes = [];
    }
    this.current.steps.push(step);
  }

  private addContext(text: string): void {
    const t = squash(text);
    if (t) this.context.push(t);
  }

  /** The first plain paragraph under the title (or a Scope/Overview section) describes the runbook. */
  private describes(): boolean {
    if (this.description !== undefined) return false;
    return (this.current.isIntro && this.title !== undefined) || /^\W*(\d+[.)]?\s*)?(scope|overview|purpose|개요|목적)\b/i.test(this.current.title);
  }

  /** A "Step N" heading with nothing to run under it is a step to confirm; then flushContext. */
  private closeSection(): void {
    const s = this.current;
    if (s?.stepHeading && s.steps.length === 0) this.addStep(s.title, s.line, undefined, []);
    this.flushContext();
  }

  /** Context left at the end of a section belongs to its last step. */
  private flushContext(): void {
    const last = this.current?.steps[this.current.steps.length - 1];
    if (last && this.context.length) last.context.push(...this.context);
    else if (this.current?.isTitle) this.introNotes = this.context; // they go with the first step
    this.context = [];
  }
}

/** `Parent › child`, the parent cut first: siblings keep the words that tell them apart. */
export function joinTitle(parent: string, own: string, max = 200): string {
  const room = max - own.length - 3;
  if (room >= parent.length) return `${parent} › ${own}`;
  if (room >= 12) return `${parent.slice(0, room - 1)}… › ${own}`;
  return squash(own, max);
}
