// Statements prepared when first used. A ledger opened only to read may be in an older schema
// than this version's (reading never upgrades it): the writes it never makes are never prepared.

/** An object whose each property is made by its function the first time it is read. */
export function lazily<T extends Record<string, () => unknown>>(makers: T): { readonly [K in keyof T]: ReturnType<T[K]> } {
  const out = {} as { [K in keyof T]: ReturnType<T[K]> };
  for (const key of Object.keys(makers) as (keyof T)[]) {
    let made: ReturnType<T[typeof key]> | undefined;
    Object.defineProperty(out, key, { get: () => (made ??= makers[key]() as ReturnType<T[typeof key]>), enumerable: true });
  }
  return out;
}
