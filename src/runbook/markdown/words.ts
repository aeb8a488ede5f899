// Reading headings: which phase a heading names, whether a section is reference material,
// and ids made of its words. Each regex runs on one short heading or lead-in, never on the
// document.
import { createHash } from 'node:crypto';
import type { Phase } from '../model.js';

const PRE = /\bpre[-\s]?(flight|condition|release|deploy|requisite|check)|\bbefore\b|사전|점검|준비|准备|前置|事前/i;
const POST = /\bpost\b|\bpost[-\s]?(flight|deploy|release|rollback|check)|\bafter\b|\bverification\b|검증|사후|验证|事后|検証|事後/i;

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
  /^\W*(\d+[.)]?\s*)?(scope|roles?|overview|table of contents|contents|references?|glossary|appendix|changelog|version history|notes?|(key\s+)?(env|environment|secrets)\b)\b|template\s*$|메모|注意事项|注意事項|備考|参考资料|参考資料|히스토리|개요|목차/i;

/** Sections that describe rather than instruct: their plain list items are not steps. */
export function isReference(title: string): boolean {
  return REFERENCE.test(title.trim());
}

/** A heading that is only "Verify", "Verify the cutover" or "Check the restore": the checks after the change. */
const CHANGE = String.raw`the\s+(change|cutover|upgrade|rollout|deploy(ment)?|release|migration|failover|restore|rotation)`;
const VERIFY_HEADING = new RegExp(String.raw`^\W*(\d+[.)]?\s*)?((verify|validate|validation|smoke[-\s]?tests?)(\s+${CHANGE})?|check\s+${CHANGE})\W*$`, 'i');

/** The phase a heading names: as phaseOf, and a bare "Verify" heading is postflight. */
export function headingPhase(title: string): Phase | undefined {
  return phaseOf(title) ?? (VERIFY_HEADING.test(title) ? 'postflight' : undefined);
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

const ROLLBACK = /\b(roll[-\s]?(back|backs|ing back)|revert(ing)?|downgrad(e|ing)|back(ing)?[-\s]?out|undo(ing)?|abort(ing)?|kill[-\s]?switch)\b|^\W*if\b.*\bfail(s|ed)?\b|回滚|回退|ロールバック|切り戻し|롤백|원복/i;

/** A section about going back: Roll back, Revert, Downgrade, "If the upgrade fails". */
export function isRollback(title: string): boolean {
  // "Post-rollback checks" and "Verify the rollback" follow a rollback; they are not one.
  // "Rollback triggers" and "When to roll back" say when, not how.
  return ROLLBACK.test(title) && phaseOf(title) === undefined && !/^\W*(verify|check|test|when)\b|\b(triggers?|criteria|decision)\b/i.test(title);
}

/** "Restore from backup", "Restoring the previous release": going back, when it follows the forward steps (walk.ts). */
export function isRestore(title: string): boolean {
  return /^\W*(\d+[.)]?\s*)?restor(e|ing)\b/i.test(title.trim()) || /\brestore\s+(from|the)\s+(backup|snapshot|previous)/i.test(title);
}

const NOTES =
  /^\W*(\d+[.)]?\s*)?(troubleshoot(ing)?|faqs?\b|frequently asked|known (issues|problems|limitations)|(common\s+)?(pitfalls|gotchas)|don['’]?t\b|do not\b|never\b|appendix|(example|sample) output|useful commands)|\buseful commands\b|トラブルシューティング|故障排除|常见问题|よくある質問|문제 해결/i;

/**
 * A section of notes: what to look at when something is off, answers, what not to do, an
 * appendix of commands. Nothing in it is a step, and none of its blocks runs.
 */
export function isNotes(title: string): boolean {
  return NOTES.test(title.trim());
}

const ALTERNATIVE = new RegExp(
  [
    String.raw`^\W*(?:on\s+|for\s+|using\s+|with\s+|via\s+)?(linux|mac\s?os(?:\s?x)?|os\s?x|windows|ubuntu|debian|rhel|red\s?hat|centos|fedora|alpine|freebsd|docker(?:\s+compose)?|podman|kubernetes|k8s|helm|openshift|aws|gcp|google cloud|azure|bare[-\s]?metal|systemd)\b`,
    String.raw`\b(online|offline|in[-\s]place|blue[-\s]green|rolling)\b.*\b(upgrade|update|install(?:ation)?|migration|deploy(?:ment)?|method|mode|procedure|path)\b`,
    String.raw`^\W*(option|method|alternative|variant|approach)\s+[a-z0-9]+\b`,
  ].join('|'),
  'i',
);

/** A heading that names one of several ways (a platform, online or offline, Option A). */
export function isAlternative(title: string): boolean {
  return ALTERNATIVE.test(title);
}

/** A heading over sections of which a person reads the one that fits them (roles). */
export function isRoleList(title: string): boolean {
  return /^\W*(\d+[.)]?\s*)?(roles?|responsibilities|by role|역할|役割|角色)\b/i.test(title.trim());
}

/** "Step 3: Drain the node", "3. Drain", "第三步": a heading that is itself a step. */
export function isStepHeading(title: string): boolean {
  return /^\W*(step|phase|stage)\s*\d+\b|^\d+[.)]\s|^第.{1,3}[步歩]|^ステップ\s*\d|^\d+\s*단계/i.test(title.trim());
}

const NOTE_BULLET = /^\W*(?:v?\d+\.\d+(?:\.\d+)?\b|(?:version|release)\s+v?\d|(?:note|nb|tip|warning|caution|important|info|see(?:\s+also)?|more info|for more|references?|docs?|documentation)\b\s*[:：.-]|https?:\/\/\S+\s*(?:$|[—–(\[-]|:\s)|注意|参考|参照)/i;

/**
 * A bullet that informs rather than instructs: a version ("v5.0.1 — fixes …"), a link (a URL
 * followed by nothing or by a dash: "https://x answers OK" is a thing to check), a remark ("Note: …", "See also …"). Other bullets of a checklist are steps ("Migrations
 * reviewed" is a thing to check).
 */
export function isNoteBullet(text: string, onlyLink: boolean): boolean {
  return onlyLink || NOTE_BULLET.test(text.trim());
}

/** "Note: …", "Tip: …", "See also …" under a step: a remark on that step, not a thing to do. */
export function isRemark(text: string): boolean {
  return /^\W*(?:(?:note|nb|tip|warning|caution|important|info|see(?:\s+also)?)\b\s*[:：.-]|注意|参考|参照)/i.test(text.trim());
}
