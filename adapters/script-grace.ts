// How long stopping a script may take. Apart from the adapter, so the CLI's entry can bound
// its shutdown by it without loading execa at every start.

/** Time between SIGTERM and SIGKILL for the process group. */
export const KILL_GRACE_MS = 1000;
/**
 * How long the output pipes may stay open once the script has exited (or been killed): a
 * process that left the group (setsid, a daemon) and holds them open is not waited for.
 */
export const PIPE_GRACE_MS = 500;
