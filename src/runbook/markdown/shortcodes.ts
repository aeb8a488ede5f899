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

const JSX_TAB = /<(\/?)(Tabs|TabItem)\b([^>]*)>/g;

/**
 * Docusaurus tabs in an HTML block: `<Tabs>`, `<TabItem value="s3" label="Amazon S3">`,
 * `</TabItem>`, `</Tabs>`, read as the Hugo tabs they stand for; [] for any other HTML.
 */
export function jsxTabs(html: string): Shortcode[] {
  const out: Shortcode[] = [];
  for (const m of html.matchAll(JSX_TAB)) {
    const [, close, name, attrs] = m;
    if (name === 'Tabs') out.push({ kind: 'tabs', open: close === '' });
    else out.push({ kind: 'tab', open: close === '', title: close ? '' : jsxLabel(attrs) });
  }
  return out;
}

/** `label="Amazon S3"`, else `value="s3"`. */
function jsxLabel(attrs: string): string {
  const m = /\blabel\s*=\s*(?:"([^"]*)"|'([^']*)'|\{["'`]([^"'`]*)["'`]\})/.exec(attrs) ?? /\bvalue\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(attrs);
  return (m?.[1] ?? m?.[2] ?? m?.[3] ?? '').trim();
}

/**
 * A Docusaurus admonition paragraph as a note: `:::caution Restoring closes the index :::` →
 * `Caution: Restoring closes the index`; a paragraph that is only its fence (`:::`) is empty.
 */
export function admonitionText(text: string): string {
  const lines = text.trim().split('\n');
  const head = /^:::\s*([A-Za-z]+)?\s*(.*)$/.exec(lines[0]);
  if (!head) return text;
  if (lines.length > 1 && /^:::\s*$/.test(lines[lines.length - 1])) lines.pop();
  const kind = head[1] ? `${head[1][0].toUpperCase()}${head[1].slice(1).toLowerCase()}:` : '';
  const title = head[2].replace(/^\[|\]$/g, '').replace(/:::\s*$/, '').trim();
  return [kind, title, ...lines.slice(1)].filter((t) => t.trim() !== '').join(' ').trim();
}
