/** docs/runbook-format.md from the runbook JSON Schema (`opscockpit schema`). */
export function renderRunbookFormat(schema: object): string;
