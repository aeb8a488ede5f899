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
// Steps. List items are steps and notes (walk-list.ts). Fenced blocks outside lists are steps
// of their own (shell.ts). Paragraphs, tables and notes become the context of the next step in
// the section (or of the last one when nothing follows). Sections of reference material
// (Scope, Roles, Notes, templates …) and the text under the document title give no steps
// from plain list items; task items are always steps. Sections of notes (Troubleshooting,
// FAQ, Known issues, Don't …, Appendix, useful commands, example output) give no steps at
// all: their items and blocks are shown, never run, as notes of the step before them.
//
// Going back and choosing. A section about going back (Roll back, Revert, Back out, Abort,
// If … fails; a Restore section after the forward steps of a runbook that is not itself about
// restoring) and everything under it is the rollback procedure, not forward steps; so is a
// `<details>` block whose summary says so. Sibling sections that name alternatives (Linux /
// macOS / Windows, online / offline, the roles under "Roles"), Hugo, Docusaurus and MkDocs
// tabs are a choice (choices.ts). Hugo alerts and quotes are notes.
//
// Annotations (an opscockpit comment or fence attributes) say what a block's steps are
// (annotate.ts): their id, timeout, confirmation, shell, scope; a `rollback` block joins the
// rollback procedure, a `skip` block is a note.
import type { Phase } from '../model.js';
import type { OutlineBlock, OutlineCode } from './outline.js';
import { BlockAnnotator, rollbackWith, stepOf, type AnnotationProblem } from './annotate.js';
import type { BlockAnnotations } from './annotations.js';
import { choicesOf, type WalkedSection } from './choices.js';
import type { CodeStep } from './shell.js';
import { shortcodes, type Shortcode } from './shortcodes.js';
import type { MarkdownRollback, MarkdownRunbook, MarkdownStep } from './structure.js';
import { walkList, type ListHost } from './walk-list.js';
import { headingPhase, isNotes, isReference, isRestore, isRollback, isStepHeading, leadIn, phaseOf, SlugSet, squash } from './words.js';

interface Heading {
  depth: number;
  title: string;
  phase?: Phase;
  /** The document's own title (its first heading when that is the only h1 so far). */
  isTitle: boolean;
  /** The heading or one above it is about going back. */
  rollback: boolean;
  /** The heading or one above it holds notes only (Troubleshooting, Appendix). */
  notes: boolean;
  /** Index of its section. */
  section: number;
}

interface OpenSection extends WalkedSection {
  /** Reference material: plain list items are not steps. */
  reference: boolean;
  /** Notes only: nothing in it is a step or runs (Troubleshooting, FAQ, Appendix). */
  notes: boolean;
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

export class RunbookWalker implements ListHost {
  private readonly sections: OpenSection[] = [];
  /** Variables set by the blocks read so far (`export ENV=gprd`). */
  private readonly defined = new Set<string>();
  /** Reads each block's annotations; its problems are the runbook's errors (read.ts). */
  readonly annotator = new BlockAnnotator();
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
  current: OpenSection;
  /** The last forward step added: notes of a section of notes are shown with it. */
  private lastStep?: MarkdownStep;
  /** Inside `<details>`: the section it sits in. */
  private details?: OpenSection;
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
        const rollback = !isTitle && (this.goesBack(title) || this.stack.some((h) => h.rollback));
        const notes = !isTitle && !rollback && (isNotes(title) || this.stack.some((h) => h.notes));
        const parent = this.stack[this.stack.length - 1]?.section;
        this.closeSection();
        this.tabs = undefined;
        this.details = undefined;
        this.inAlert = false;
        this.stack.push({ depth: node.depth, title, phase, isTitle, rollback, notes, section: this.sections.length });
        this.current = this.open(title, node.line, phase, isTitle || isReference(title), undefined, { depth: node.depth, parent, rollback, notes });
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
        return walkList(this, node, undefined);
      case 'code': {
        const annotations = this.annotator.forBlock(node, node.line);
        if (this.inAlert) return this.addContext(node.value);
        return this.code(node, node.line, annotations);
      }
      case 'note':
        return this.addContext(node.text);
      case 'tabs':
        return this.shortcodes(node.codes, node.line);
      case 'details':
        return this.detailsBlock(node.title, node.line);
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

  /**
   * A section about going back: Roll back, Back out, Abort, If … fails; and a Restore section
   * once forward steps were walked, unless the runbook itself is about restoring (then the
   * restore is the procedure).
   */
  private goesBack(title: string): boolean {
    if (isRollback(title)) return true;
    return isRestore(title) && !isRestore(this.title ?? '') && !/\bbackups?\b/i.test(this.title ?? '') && this.lastStep !== undefined;
  }

  /**
   * `<details><summary>If the install fails</summary>` … `</details>`: a section of its own
   * (rollback or notes by its summary, like a heading); what follows belongs to the section
   * it sat in. `title` undefined closes it.
   */
  private detailsBlock(title: string | undefined, line: number): void {
    if (title === undefined) {
      const within = this.details;
      this.details = undefined;
      if (within) this.subSection(within.title, line, within.named, true, { rollback: within.rollback, notes: within.notes });
      return;
    }
    const within = this.details ?? this.current;
    const rollback = within.rollback || this.goesBack(title);
    this.subSection(title || `Details at line ${line}`, line, within.named, false, { rollback, notes: !rollback && (within.notes || isNotes(title)) });
    this.details = within;
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

  private subSection(title: string, line: number, phase: Phase | undefined, resumes = false, kind?: { rollback: boolean; notes: boolean }): void {
    this.closeSection();
    const path = this.headingPath();
    if (!resumes) path.push(title);
    const top = this.stack[this.stack.length - 1];
    const depth = (top?.depth ?? 0) + 0.5;
    const { rollback, notes } = kind ?? { rollback: top?.rollback ?? false, notes: top?.notes ?? false };
    this.current = this.open(title, line, phase, resumes && this.current.reference, path.join(' › ') || title, { depth, parent: top?.section, rollback, notes });
  }

  private open(title: string, line: number, named: Phase | undefined, reference: boolean, path?: string, at = { depth: 0, parent: undefined as number | undefined, rollback: false, notes: false }): OpenSection {
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
      notes: at.notes,
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

  blockSteps(code: Pick<OutlineCode, 'lang' | 'value'>, line: number, annotations: BlockAnnotations): { steps: CodeStep[]; note?: string } {
    return this.annotator.steps(code, line, annotations, { defined: this.defined, inRollback: this.current.rollback });
  }

  private code(code: Pick<OutlineCode, 'lang' | 'value'>, line: number, annotations: BlockAnnotations): void {
    // A block in a section of notes (Troubleshooting, Appendix) is shown, never run.
    if (this.current.notes) return this.addContext(code.value);
    const { steps, note = code.value } = this.blockSteps(code, line, annotations);
    if (steps.length === 0) {
      if (note.trim()) this.addContext(note);
      return;
    }
    // Under a "Step N" heading, the heading names its one block.
    const own = this.current.stepHeading && steps.length === 1 && this.current.steps.length === 0;
    for (let i = 0; i < steps.length; i++) this.addStep(own ? this.current.title : steps[i].label, line, steps[i], []);
  }

  addStep(title: string, line: number, found: CodeStep | undefined, context: string[]): void {
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
    if (!this.current.rollback) this.lastStep = step;
  }

  addContext(text: string): void {
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

  /**
   * Context left at the end of a section belongs to its last step; the notes of a section of
   * notes go with the forward step before it, under the section's title.
   */
  private flushContext(): void {
    if (this.current?.notes && this.context.length) {
      const notes = this.context.map((t) => squash(`${this.current.title}: ${t}`));
      if (this.lastStep) this.lastStep.context.push(...notes);
      else this.introNotes.push(...notes);
      this.context = [];
      return;
    }
    const last = this.current?.steps[this.current.steps.length - 1];
    if (last && this.context.length) last.context.push(...this.context);
    else if (this.current?.isTitle) this.introNotes = this.context; // they go with the first step
    this.context = [];
  }
}
