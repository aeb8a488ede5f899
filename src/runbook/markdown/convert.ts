// A Markdown runbook printed as the equivalent YAML runbook (format v1): same steps, ids,
// titles and checks, so a team can move to YAML and keep editing there.
import { stringify } from 'yaml';
import type { RunbookDocument } from './document.js';
import { markdownToDocument } from './load.js';

/** YAML text of a runbook document; loads with the YAML loader to the same Runbook. */
export function toYaml(runbook: RunbookDocument, source?: string): string {
  const head = source ? `# Converted from ${source} by opscockpit convert.\n` : '';
  return head + stringify(runbook, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Markdown text → YAML text. */
export function markdownToYaml(text: string, file: string): string {
  return toYaml(markdownToDocument(text, file).document, file);
}
