// Reading headings: which phase a heading names, whether a section is reference material,
// and ids made of its words. Each regex runs on one short heading or lead-in, never on the
// document.
import { createHash } from 'node:crypto';
import type { Phase } from '../model.js';

const PRE = /\bpre[-\s]?(flight|condition|release|deploy|requisite|check)|\bbefore\b|사전|점검|준비/i;
const POST = /\bpost\b|\bpost[-\s]?(flight|deploy|release|rollback|check)|\bafter\b|\bverification\b|검증|사후/i;

/** The phase a heading names, or undefined when it names none (pre wins when both appear). */
export function phaseOf(text: string): Phase | undefined {
  const pre = text.search(PRE);
  const post = text.search(POST);
  if (pre === -1 && post === -1) return undefined;
  if (pre === -1) return 'postflight';
  if (post === -1) return 'preflight';
  return pre <= post ? 'preflight' : 'postflight';
}

const REFERENCE =
  /^\W*(\d+[.)]?\s*)?(scope|roles?|overview|table of contents|contents|references?|glossary|appendix|changelog|version history|notes?|(key\s+)?(env|environment|secrets)\b)\b|template\s*$|메모|히스토리|개요|목차/i;

/** Sections that describe rather than instruct: their plain list items are not steps. */
export function isReference(title: string): boolean {
  return REFERENCE.test(title.trim());
}

/** A short line ending in ":" (or wholly bold) that introduces what follows. */
export function leadIn(text: string): string | undefined {
  const t = text.trim();
  if (t.length === 0 || t.length > 80 || t.includes('\n')) return undefined;
  return t.endsWith(':') || t.endsWith('：') ? t.replace(/[:：]$/, '').trim() : undefined;
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * Lower-case ASCII words joined by "-"; a heading with no ASCII letters or digits (Korean,
 * say) becomes `s-` plus a short hash of its text, so ids stay stable and valid.
 */
export function slugify(title: string): string {
  // NFKD splits accented letters into ASCII ones and marks; ASCII text needs none of it.
  const ascii = (ASCII.test(title) ? title : title.normalize('NFKD'))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  if (ascii) return ascii;
  return `s-${createHash('sha256').update(title).digest('hex').slice(0, 8)}`;
}

/** Unique slugs within one document: the second "Rollback" is `rollback-2`. */
export class SlugSet {
  private readonly used = new Map<string, number>();
  take(title: string): string {
    const base = slugify(title);
    const n = (this.used.get(base) ?? 0) + 1;
    this.used.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  }
}

const NOT_SQUASHED = /[^\S ]| {2}|^ | $/;

/** One line of plain text, cut at `max` characters. */
export function squash(text: string, max = 200): string {
  // Most texts are one line already: testing is cheaper than rewriting them.
  return cut(NOT_SQUASHED.test(text) ? text.replace(/\s+/g, ' ').trim() : text, max);
}

/** Text cut at `max` characters, an ellipsis last: for texts made of squashed ones. */
export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
