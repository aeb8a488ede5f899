// The headless commands' output streams: what they write is made visible (src/visible.ts)
// on the way out, so a runbook title, a target's answer or a script's output cannot retitle,
// clear or rewrite the operator's terminal, or a CI log. The cockpit (Ink) does the same in
// its Text (screens/ink.tsx).
import { visible } from '../visible.js';

export function terminalSafe(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  return new Proxy(stream, {
    get(target, prop, receiver) {
      if (prop === 'write') {
        return (chunk: unknown, ...rest: unknown[]) =>
          (target.write as (...a: unknown[]) => boolean).call(target, typeof chunk === 'string' ? visible(chunk) : chunk, ...rest);
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
