// A key of a plain object as the object holds it. Every plain object (and the environment) has
// a prototype, so `obj.constructor` is a function and `obj.__proto__ = v` sets nothing: a name
// from a runbook, a command line or the environment is read and set with these instead.

/** The value `obj` holds under `key` itself, or undefined (never an inherited one). */
export function ownValue<T>(obj: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Set `key` in `obj` as a key of its own (even `__proto__`). */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}
