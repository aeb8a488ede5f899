/** A mistake in how the command was called; printed with the command's usage line. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
  }
}

/** Anything the operator should read as one block: no stack traces. */
export function isOperatorError(err: unknown): err is Error & { format?: () => string } {
  return err instanceof Error && ['RunbookError', 'LedgerError', 'NotALedgerError', 'LedgerLocationError', 'UsageError', 'EvidenceError', 'QuorumError', 'ResumeConflictError', 'JoinConflictError', 'DrivenElsewhereError', 'StillRunningError', 'NothingToWatchError', 'RunbookLockedError'].includes(err.constructor.name);
}
