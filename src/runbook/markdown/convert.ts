// A Markdown runbook printed as the equivalent YAML runbook (format v1): same steps, ids,
// titles and checks, so a team can move to YAML and keep editing there.
import { stringify } from 'yaml';
import type { RunbookDocument } from './document.js';

/**
 * YAML text of a runbook document; loads with the YAML loader to the same Runbook. With its
 * source, a first comment line names the file it came from.
 */
export function toYaml(runbook: RunbookDocument, source?: { file: string }): string {
  const head = source ? `# Converted from ${source.file} by opscockpit convert.\n` : '';
  return head + stringify(runbook, { lineWidth: 0, aliasDuplicateObjects: false });
}
