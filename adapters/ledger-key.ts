// The ledger key (OPSCOCKPIT_LEDGER_KEY) as both backends use it: read from the environment,
// and whether this process may extend a chain sealed with a key.
import { keyCheck } from './ledger-chain.js';
import type { ChainSettings } from './ledger-migrations.js';

/** The key from the environment; an empty value counts as unset. */
export function chainKeyFrom(env: NodeJS.ProcessEnv): string | undefined {
  return env.OPSCOCKPIT_LEDGER_KEY || undefined;
}

/** Why this process may not extend the chain (keyed ledger, no or wrong key), if it may not. */
export function appendRefusal(file: string, chain: ChainSettings, key: string | undefined): string | undefined {
  if (chain.algorithm !== 'hmac-sha256') return undefined;
  if (key === undefined)
    return `ledger ${file} is sealed with a key: set OPSCOCKPIT_LEDGER_KEY to that key to record events in it.`;
  if (keyCheck(key) !== chain.keyCheck)
    return `OPSCOCKPIT_LEDGER_KEY is not the key ledger ${file} is sealed with: set the right key to record events in it.`;
  return undefined;
}
