// A variable of the environment by name, as the environment holds it. An environment object
// has a prototype, so `env.constructor` is a function and `env.__proto__ = v` sets nothing: a
// parameter or secret so named would count as given, or be lost, without these.

/** The value of `name` in `env`, or undefined when the environment does not hold it. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return Object.hasOwn(env, name) ? env[name] : undefined;
}

/** Set `name` in `env` as a variable of its own (even `__proto__`). */
export function setEnvValue(env: NodeJS.ProcessEnv, name: string, value: string): void {
  Object.defineProperty(env, name, { value, writable: true, enumerable: true, configurable: true });
}
