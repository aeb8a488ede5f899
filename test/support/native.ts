// The Markdown outline addon (src/native-addon.ts) switched on or off (OPSCOCKPIT_NATIVE) for
// what `run` does, then set back; only test/markdown-native.test.ts still uses it.
// nativeAddon() reads the variable on every call, so a switch takes effect at once.

/** Runs `run` with the addon on (the variable unset) or off (`off`); the variable is restored after. */
export function withNative<T>(on: boolean, run: () => T): T {
  const saved = process.env.OPSCOCKPIT_NATIVE;
  const restore = () => {
    if (saved === undefined) delete process.env.OPSCOCKPIT_NATIVE;
    else process.env.OPSCOCKPIT_NATIVE = saved;
  };
  if (on) delete process.env.OPSCOCKPIT_NATIVE;
  else process.env.OPSCOCKPIT_NATIVE = 'off';
  let result: T;
  try {
    result = run();
  } catch (err) {
    restore();
    throw err;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}
