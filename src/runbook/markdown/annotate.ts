// Annotations applied: what `<!-- opscockpit: … -->` comments and fence attributes
// (annotations.ts) make of the code block they belong to. The comment annotates the next code
// block; the fence's own attributes win over the comment's. The walker asks this module for a
// block's steps and routes them (walk.ts); the runbook document writes them (document.ts).
//
// A comment is addressed to opscockpit: an unknown key or a bad value in it is an error naming
// its line and key. A fence's info string is shared with site generators (title="…"), so its
// unknown keys are ignored; a bad value of one of opscockpit's own keys is still an error: a
// `timeout=5` the author meant must not quietly become the default ten minutes.
import type { ShellName } from '../model.js';
import { ANNOTATION_KEYS, keyName, type BlockAnnotations, type ParsedAnnotations, type Place } from './annotations.js';
import type { OutlineCode } from './outline.js';
import { codeSteps, type CodeStep } from './shell.js';
import { firstHidden } from './hidden.js';
import { placedUses, runAsCode } from './evaluated.js';
import { variablesSet } from './placeholders.js';
import type { MarkdownRollback, MarkdownStep } from './structure.js';

export interface AnnotationProblem {
  line: number;
  /** Where the key starts on its line (the comment's or the fence's). */
  column: number;
  /** The key as the author wrote it; '' when the text could not be read at all. */
  key: string;
  message: string;
}

/** Keys that say how a step runs; a block of the rollback procedure runs inside the one rollback action. */
const NOT_IN_ROLLBACK = ['timeout', 'expect-exit', 'shell', 'scope', 'check', 'every'] as const;

const UNFILLABLE = "sits in a here-document whose delimiter is quoted (<<'EOF'): the shell reads that text as written, so no value can reach it. Write the delimiter unquoted (<<EOF), with \\ before each $ and ` the text must keep";

export class BlockAnnotator {
  readonly problems: AnnotationProblem[] = [];
  private pending?: ParsedAnnotations;
  /** Where the keys of the block read last were written: the comment's, then the fence's over them. */
  private places: Record<string, Place> = {};
  /** Step ids given with name=, and the line of the block that gave each. */
  private readonly ids = new Map<string, number>();

  /** An opscockpit comment: its annotations wait for the next code block. */
  comment(parsed: ParsedAnnotations, line: number): void {
    this.report(parsed, line);
    for (const key of parsed.unknown) this.add(parsed.places, line, key, `unknown annotation key; opscockpit reads ${ANNOTATION_KEYS.join(', ')}`);
    this.pending = parsed;
  }

  /** A code block's annotations: the comment before it, then its fence attributes. */
  forBlock(code: Pick<OutlineCode, 'annotations'>, line: number): BlockAnnotations {
    const before = this.pending;
    this.pending = undefined;
    if (code.annotations) this.report(code.annotations, line);
    this.places = { ...before?.places, ...code.annotations?.places };
    return { ...before?.annotations, ...code.annotations?.annotations };
  }

  /** A problem with a key, at the key's own place (else the block's line). */
  private add(places: Record<string, Place>, line: number, key: string, message: string): void {
    const at = places[keyName(key)] ?? { line, column: 1 };
    this.problems.push({ line: at.line, column: at.column, key, message });
  }

  /**
   * The block's steps as its annotations make them, or the block as a note when it is
   * skipped. `inRollback`: the block sits in a section about going back.
   */
  steps(code: Pick<OutlineCode, 'lang' | 'value'>, line: number, a: BlockAnnotations, ctx: { defined: Set<string>; inRollback: boolean }): { steps: CodeStep[]; note?: string } {
    if (a.skip) return { steps: [], note: code.value };
    const check = checkOf(a);
    if (ctx.inRollback || a.rollback) {
      for (const key of NOT_IN_ROLLBACK) {
        if (annotated(a, key)) this.add(this.places, line, key, 'does not apply to a block of the rollback procedure: it runs in the one rollback action (bash, 30m, behind one typed confirmation)');
      }
      if (a.confirm === 'enter') this.add(this.places, line, 'confirm', 'the rollback action always asks for typed confirmation');
    } else if (check) {
      if (a.confirm) this.add(this.places, line, 'confirm', 'a check runs without a person: drop check (or every) or confirm');
      if (a.scope) this.add(this.places, line, 'scope', 'a check runs without a person and passes no safety control: drop check (or every) or scope');
    }
    const steps = codeSteps(code.lang, code.value, { defined: ctx.defined, check });
    const hidden = a.allowHidden || !steps.some((s) => 'script' in s) ? undefined : firstHidden(code.value);
    if (hidden) {
      this.problems.push({ line: line + hidden.line, column: hidden.column, key: 'allow-hidden', message: `the command holds ${hidden.shown}: what runs is not what the screen shows. Remove it, or annotate the block allow-hidden if it is meant` });
    }
    for (const s of steps) for (const written of ('script' in s && s.script.unfillable) || []) this.problems.push({ line, column: 1, key: `<${written}>`, message: UNFILLABLE });
    for (const s of steps) {
      if (!('script' in s) || !s.script.evaluated) continue;
      const script = s.script;
      script.evaluated = placedUses(script.evaluated!, code.value, line);
      // A value run as code is refused in the runbook: `<NAME>`, a $NAME nothing in it sets, and,
      // in a script that takes values, a $NAME it sets itself (a value may have been put in it:
      // `x=$(cat <<EOF … <CMD> … EOF)` then `eval "$x"`); values are not followed through variables.
      const takes = script.placeholders ?? [];
      const own = takes.length > 0 ? new Set(variablesSet(code.value)) : new Set<string>();
      for (const u of script.evaluated) {
        if (u.kind === 'arithmetic') continue;
        if (u.written.startsWith('<') || takes.includes(u.name)) this.problems.push({ line: u.line, column: u.column, key: u.written, message: runAsCode(u) });
        else if (u.kind === 'code' && own.has(u.name)) this.problems.push({ line: u.line, column: u.column, key: u.written, message: runAsCode(u, takes) });
      }
    }
    const shell = a.shell ?? shellOfFence(code.lang);
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i];
      if ('script' in s) {
        if (a.timeout) s.script.timeout = a.timeout;
        if (a.expectExit) s.script.expectExit = a.expectExit;
        if (shell) s.script.shell = shell;
        if (a.confirm) s.script.confirm = a.confirm;
      }
      if (a.scope) s.scope = a.scope;
      if (a.rollback) s.rollback = true;
      if (a.name) s.id = this.claim(i === 0 ? a.name : `${a.name}-${i + 1}`, line);
    }
    return { steps };
  }

  private claim(id: string, line: number): string {
    const first = this.ids.get(id);
    if (first !== undefined) this.add(this.places, line, 'name', `"${id}" is already the name of the step at line ${first}; step names are unique`);
    else this.ids.set(id, line);
    return id;
  }

  private report(parsed: ParsedAnnotations, line: number): void {
    for (const p of parsed.problems) {
      const at = p.indexOf(': ');
      const key = p.startsWith('cannot read') || at === -1 ? '' : p.slice(0, at);
      this.add(parsed.places, line, key, key ? p.slice(at + 2) : p);
    }
  }
}

/** A block the runbook marks a read-only check (`check`, or `every=`, which implies it). */
export function checkOf(a: BlockAnnotations): { every?: string } | undefined {
  if (!a.check && !a.every) return undefined;
  return a.every ? { every: a.every } : {};
}

/** A fence naming a shell other than bash picks that shell; sh, shell and bash blocks share bash. */
function shellOfFence(lang: string | null): ShellName | undefined {
  return lang?.toLowerCase() === 'zsh' ? 'zsh' : undefined;
}

function annotated(a: BlockAnnotations, key: (typeof NOT_IN_ROLLBACK)[number]): boolean {
  if (key === 'expect-exit') return a.expectExit !== undefined;
  if (key === 'check') return a.check === true && a.every === undefined;
  return a[key] !== undefined;
}

/** The walker's step for what a block or a list item found. */
export function stepOf(title: string, line: number, section: string, context: string[], found: CodeStep | undefined): MarkdownStep {
  const step: MarkdownStep = { title, line, section, context };
  if (found?.id) step.id = found.id;
  if (found?.scope) step.scope = found.scope;
  if (found && 'http' in found) step.http = found.http;
  if (found && 'script' in found) step.script = found.script;
  return step;
}

/** The rollback section's steps and the blocks annotated `rollback`, in the document's order. */
export function rollbackWith(section: MarkdownRollback | undefined, annotated: readonly MarkdownStep[]): MarkdownRollback | undefined {
  if (annotated.length === 0) return section;
  const steps = [...(section?.steps ?? []), ...annotated].sort((a, b) => a.line - b.line);
  return { title: section?.title ?? 'Rollback', line: section?.line ?? steps[0].line, steps };
}
