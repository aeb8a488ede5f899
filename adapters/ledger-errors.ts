// The ledger's errors the operator can act on, apart from any backend so that each can use them.
/** A ledger problem the operator can act on; `.message` is printed as is. */
export class LedgerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LedgerError';
  }
}

/** What a command that only reads says when no ledger file is where it looks (none is made). */
export const noLedgerAt = (path: string): LedgerError => new LedgerError(`no ledger at ${path}. Give its location with --ledger PATH or --runbook FILE.`);

/** A file that is not an opscockpit ledger at all (empty, another file, a damaged database). */
export class NotALedgerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotALedgerError';
  }
}
