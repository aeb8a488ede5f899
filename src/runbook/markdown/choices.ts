// Alternatives as a choice made once: sibling sections that name platforms or ways (Linux /
// macOS / Windows, online / offline upgrade, Option A / B), the sections under a "Roles"
// heading, and Hugo tabs. Each option is a section with the sections under it; the walk
// keeps them all, and the runbook walks only the chosen option (src/runbook/choices.ts).
import type { MarkdownChoice, MarkdownSection } from './structure.js';
import { isAlternative, isRoleList, slugify } from './words.js';

/** A section as the walker keeps it: where it sits among the headings. */
export interface WalkedSection extends MarkdownSection {
  depth: number;
  /** Index of the heading's section it sits under. */
  parent?: number;
  /** Part of the rollback procedure. */
  rollback: boolean;
}

export function choicesOf(sections: readonly WalkedSection[], tabs: readonly { within: number; options: number[] }[]): MarkdownChoice[] {
  const groups: { within?: number; options: number[] }[] = [];
  const children = new Map<number | undefined, number[]>();
  sections.forEach((s, i) => {
    if (s.rollback) return;
    const list = children.get(s.parent) ?? [];
    list.push(i);
    children.set(s.parent, list);
  });
  for (const [parent, list] of children) {
    const headings = list.filter((i) => Number.isInteger(sections[i].depth));
    if (parent !== undefined && isRoleList(sections[parent].title) && headings.length >= 2) {
      groups.push({ within: parent, options: headings });
      continue;
    }
    let run: number[] = [];
    const flush = () => {
      if (run.length >= 2) groups.push({ within: parent, options: run });
      run = [];
    };
    for (const i of headings) {
      if (isAlternative(sections[i].title)) run.push(i);
      else flush();
    }
    flush();
  }
  for (const t of tabs) groups.push({ within: t.within, options: t.options });
  groups.sort((a, b) => sections[a.options[0]].line - sections[b.options[0]].line);
  const names = new Set<string>();
  const sectionTitle = (g: { within?: number }) => (g.within !== undefined ? sections[g.within].title : '');
  // Named after the section it sits in; under the document's own title just "choice" (the
  // title names the runbook). Several choices in one section (tabs twice under "Install") are
  // named after their options instead, `debian-rhel` and `linux-macos`, so they are told apart.
  const bases = groups.map((g) => {
    const within = g.within !== undefined ? sections[g.within] : undefined;
    return within && !(within.parent === undefined && within.depth === 1) ? slugify(within.title) : 'choice';
  });
  const made = groups.map((g, k) => {
    const within = g.within !== undefined ? sections[g.within] : undefined;
    const shared = groups.filter((o) => sectionTitle(o) === sectionTitle(g)).length > 1;
    const base = shared ? slugify(g.options.map((i) => sections[i].title).join(' ')) : bases[k];
    let name = base;
    for (let n = 2; names.has(name); n++) name = `${base}-${n}`;
    names.add(name);
    const first = sections[g.options[0]];
    return {
      name,
      title: within?.title ?? first.title,
      line: first.line,
      options: g.options.map((i) => ({ name: sections[i].slug, title: sections[i].title, sections: under(sections, i) })),
    };
  });
  // Two choices with one title (tabs twice under "Install") are told apart by their options.
  const seen = new Map<string, number>();
  for (const c of made) seen.set(c.title, (seen.get(c.title) ?? 0) + 1);
  for (const c of made) if ((seen.get(c.title) ?? 0) > 1) c.title = `${c.title}: ${c.options.map((o) => o.title).join(' / ')}`;
  return made;
}

/** The section and every section under it, by slug. */
function under(sections: readonly WalkedSection[], top: number): string[] {
  const inside = new Set([top]);
  const out = [sections[top].slug];
  for (let i = top + 1; i < sections.length; i++) {
    const p = sections[i].parent;
    if (p !== undefined && inside.has(p)) {
      inside.add(i);
      out.push(sections[i].slug);
    }
  }
  return out;
}
