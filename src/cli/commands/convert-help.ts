// Help for `convert`, kept apart so `--help` does not load the Markdown parser.
export const convertHelp = {
  usage: 'opscockpit convert RUNBOOK.md [--out FILE.yaml] [--force]',
  summary: 'Print a Markdown runbook as the equivalent YAML runbook (format v1).',
  details: `Reads the Markdown runbook the way open, check and validate do (headings as phases,
list items as steps, GET lines and curl reads as HTTP checks, shell blocks as confirm-first
script steps) and prints it as YAML. The YAML is validated before it is printed or written.

Options:
  --out FILE   write the YAML to FILE instead of stdout (relative paths in it are kept
               relative to the runbook folder, so write it beside the Markdown file)
  --force      overwrite FILE when it exists
Exit codes: 0 converted, 1 error.`,
};

