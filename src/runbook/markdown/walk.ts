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
// from plain list items; task items are always steps.
import type { Phase } from '../model.js';
import type { OutlineBlock, OutlineItem, OutlineList } from './outline.js';
import { codeSteps, type CodeStep } from './shell.js';
import { proposedCheck } from './requests.js';
import type { MarkdownRunbook, MarkdownSection, MarkdownStep } from './structure.js';
import { isReference, leadIn, phaseOf, SlugSet, squash } from './words.js';

interface Heading {
  depth: number;
  title: string;
  phase?: Phase;
  /** The document's own title (its first heading when that is the only h1 so far). */
  isTitle: boolean;
}

interface OpenSection extends MarkdownSection {
  /** Reference material: plain list items are not steps. */
  reference: boolean;
  /** The phase the heading (or an ancestor) names, if any. */
  named?: Phase;
  /** Directly under the document title (or before it). */
  isIntro: boolean;
  /** Heading path shown as each step's context. */
  path: string;
}

export class RunbookWalker {
  private readonly sections: MarkdownSection[] = [];
  private readonly slugs = new SlugSet();
  private readonly stack: Heading[] = [];
  private seenPost = false;
  private current: OpenSection;
  private context: string[] = [];
  private title?: string;
  private description?: string;

  constructor() {
    this.current = this.open('Introduction', 1, undefined, true);
  }

  walk(nodes: readonly OutlineBlock[]): Omit<MarkdownRunbook, 'frontMatter' | 'parser'> & { title?: string } {
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      try {
        if (this.oneItemLeadIn(node, nodes[i + 1])) continue;
        this.block(node);
      } catch {
        // A walker bug must not take the runbook down: the block is skipped.
      }
    }
    this.flushContext();
    return {
      name: this.title ?? 'Markdown runbook',
      title: this.title,
      description: this.description,
      sections: this.sections.filter((s) => s.steps.length > 0).map(({ title, slug, line, phase, steps }) => ({ title, slug, line, phase, steps })),
    };
  }

  private block(node: OutlineBlock): void {
    switch (node.type) {
      case 'heading': {
        const title = squash(node.text, 200) || `Section at line ${node.line}`;
        while (this.stack.length && this.stack[this.stack.length - 1].depth >= node.depth) this.stack.pop();
        const isTitle = node.depth === 1 && this.title === undefined && this.sections.every((s) => s.steps.length === 0);
        if (isTitle) this.title = title;
        const phase = phaseOf(title) ?? this.inheritedPhase();
        this.stack.push({ depth: node.depth, title, phase, isTitle });
        this.flushContext();
        this.current = this.open(title, node.line, phase, isTitle || isReference(title));
        return;
      }
      case 'paragraph': {
        const text = node.text;
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
        return this.list(node, undefined);
      case 'code':
        return this.code(node.lang, node.value, undefined, node.line);
      case 'note':
        return this.addContext(node.text);
      default:
        return; // html, thematic breaks, definitions, front matter (read elsewhere)
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

  private subSection(title: string, line: number, phase: Phase | undefined): void {
    this.flushContext();
    const path = this.headingPath();
    path.push(title);
    this.current = this.open(title, line, phase, false, path.join(' › '));
  }

  private open(title: string, line: number, named: Phase | undefined, reference: boolean, path?: string): OpenSection {
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
    };
    this.sections.push(section);
    return section;
  }

  private list(list: OutlineList, parent: string | undefined): void {
    const items = list.items;
    for (let i = 0; i < items.length; i++) {
      try {
        this.item(items[i], parent);
      } catch {
        // skip an item the walker cannot read
      }
    }
  }

  private item(item: OutlineItem, parent: string | undefined): void {
    const task = item.checked !== null;
    if (this.current.reference && !task) return;
    const own = item.first ? squash(item.first.text, 200) : '';
    const title = parent ? (own ? `${parent} › ${own}` : parent) : own;
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
        const steps = codeSteps(c.lang, c.value);
        for (let j = 0; j < steps.length; j++) found.push(steps[j]);
      } else if (c.type === 'text') context.push(c.text);
      else lists = true;
    }
    if (title || found.length > 0) {
      const head = found[0];
      const name = title || head!.label;
      this.addStep(name, item.line, head, context);
      for (let i = 1; i < found.length; i++) this.addStep(`${name} › ${found[i].label}`, item.line, found[i], []);
    }
    if (!lists) return;
    for (let i = 0; i < parts.length; i++) {
      const c = parts[i];
      if (c.type === 'list') this.list(c.list, title || parent);
    }
  }

  private code(lang: string | null, value: string, parent: string | undefined, line: number): void {
    const steps = codeSteps(lang, value);
    if (steps.length === 0) {
      if (value.trim()) this.addContext(value);
      return;
    }
    for (let i = 0; i < steps.length; i++) this.addStep(parent ? `${parent} › ${steps[i].label}` : steps[i].label, line, steps[i], []);
  }

  private addStep(title: string, line: number, found: CodeStep | undefined, context: string[]): void {
    // this.context holds squashed texts already (addContext).
    let all = this.context;
    for (let i = 0; i < context.length; i++) {
      const t = squash(context[i]);
      if (!t) continue;
      if (all === this.context) all = this.context.slice();
      all.push(t);
    }
    const step: MarkdownStep = { title: squash(title, 200), line, section: this.current.path, context: all };
    this.context = [];
    if (found && 'http' in found) step.http = found.http;
    if (found && 'script' in found) step.script = found.script;
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

  /** Context left at the end of a section belongs to its last step. */
  private flushContext(): void {
    const last = this.current?.steps[this.current.steps.length - 1];
    if (last && this.context.length) last.context.push(...this.context);
    this.context = [];
  }
}
