// The ledger's errors the operator can act on, apart from any backend so that each can use them.
/** A ledger problem the operator can act on; `.message` is printed as is. */
export class LedgerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LedgerError';
  }
}

/**
 * What a command that only reads says when no ledger file is where it looks (none is made);
 * `given` is how the place was named, so the hint does not ask for what was given already.
 */
export function noLedgerAt(path: string, given: { ledger?: unknown; runbook?: unknown } = {}): LedgerError {
  if (given.ledger !== undefined) return new LedgerError(`no ledger at ${path}: check the path given with --ledger (a ledger is made by the first command that records, such as open or run).`);
  if (given.runbook !== undefined) return new LedgerError(`no ledger at ${path}, the ledger of the runbook given with --runbook: nothing has been recorded for it there yet, or give the ledger with --ledger PATH.`);
  return new LedgerError(`no ledger at ${path}. Give its location with --ledger PATH or --runbook FILE.`);
}

/** A file that is not an opscockpit ledger at all (empty, another file, a damaged database). */
export class NotALedgerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotALedgerError';
  }
}
