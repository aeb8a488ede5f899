// The Markdown outline reader's C addon (src/runbook/markdown/native.ts reads satteri's tree
// with it), looked for in native/build under the package root. The ledger's hash chain and the
// harvest no longer use it, and native/ is gone: nothing builds it, so this finds none and the
// outline is read in JavaScript. It goes with the Markdown native reader (issue 14, item 2).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from './cli/paths.js';

/** The native/addon.c ADDON_VERSION this code was written for: a build from other sources is not used. */
const ADDON_VERSION = 2;

let loaded: Record<string, unknown> | null | undefined;

/**
 * The addon's exports; null where it was not built, cannot load (it is linked to resolve every
 * symbol when it loads, so a Node without them fails here, not at a first call) or was built
 * from other sources, and with OPSCOCKPIT_NATIVE=off.
 */
export function nativeAddon(): Record<string, unknown> | null {
  if (process.env.OPSCOCKPIT_NATIVE === 'off') return null;
  if (loaded !== undefined) return loaded;
  loaded = null;
  const file = path.join(packageRoot(), 'native', 'build', 'Release', 'opscockpit_native.node');
  if (!existsSync(file)) return loaded;
  try {
    const addon = createRequire(import.meta.url)(file) as Record<string, unknown>;
    if (addon.version === ADDON_VERSION) loaded = addon;
  } catch {
    // built for another Node, or damaged: JavaScript does the work
  }
  return loaded;
}

/**
 * A part of the addon, checked once: its functions must be there, and `agrees` (a sample done
 * natively and compared with what the JavaScript does) must hold without throwing. Returns the
 * part's getter: the part, or null without the addon, with OPSCOCKPIT_NATIVE=off, or when the
 * check failed.
 */
export function nativePart<T>(functions: readonly string[], agrees: (part: T) => boolean): () => T | null {
  let checked: T | null | undefined;
  return () => {
    const addon = nativeAddon();
    if (!addon) return null;
    if (checked === undefined) {
      let ok = false;
      try {
        ok = functions.every((f) => typeof addon[f] === 'function') && agrees(addon as unknown as T);
      } catch {
        // an addon built from other sources may throw: not used
      }
      checked = ok ? (addon as unknown as T) : null;
    }
    return checked;
  };
}
