// Hugo shortcodes in a paragraph's text: `{{< tabs >}}`, `{{< tab "Linux" >}}`,
// `{{< alert >}}` … `{{< /alert >}}`. Read in order with the text between them; other
// shortcodes (ref, figure) are left in the text.

export type Shortcode =
  | { kind: 'tabs' | 'alert'; open: boolean }
  | { kind: 'tab'; open: boolean; title: string }
  | { kind: 'text'; text: string };

const SHORTCODE = /\{\{[<%]\s*(\/?)\s*([\w-]+)([^}]*?)\s*[>%]\}\}/g;
const ALERTS = new Set(['alert', 'note', 'notice', 'warning', 'caution', 'tip', 'important', 'hint', 'callout', 'admonition', 'danger', 'info']);

/** The shortcodes of a paragraph, or [] when it has none this reader knows. */
export function shortcodes(text: string): Shortcode[] {
  const out: Shortcode[] = [];
  let at = 0;
  let known = false;
  for (const m of text.matchAll(SHORTCODE)) {
    const [all, close, name, args] = m;
    const kind = name === 'tabs' ? 'tabs' : name === 'tab' ? 'tab' : ALERTS.has(name) ? 'alert' : undefined;
    if (!kind) continue;
    known = true;
    const before = text.slice(at, m.index).trim();
    if (before) out.push({ kind: 'text', text: before });
    at = m.index + all.length;
    if (kind === 'tab') out.push({ kind, open: close === '', title: tabTitle(args) });
    else out.push({ kind, open: close === '' });
  }
  if (!known) return [];
  const rest = text.slice(at).trim();
  if (rest) out.push({ kind: 'text', text: rest });
  return out;
}

/** `"Linux"`, `name="Linux"`, `title="Linux"` or a bare word. */
function tabTitle(args: string): string {
  const named = /\b(?:name|title|header)\s*=\s*"([^"]*)"/.exec(args);
  if (named) return named[1].trim();
  const quoted = /"([^"]*)"/.exec(args);
  if (quoted) return quoted[1].trim();
  return args.trim();
}
