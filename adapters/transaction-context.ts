// A transaction's async context that costs nothing while no transaction runs. On Node 20, as
// long as any AsyncLocalStorage is enabled, async_hooks follow every promise, timer and socket
// callback of the whole process; once enabled by its first run(), an instance stays enabled. An
// open cockpit's twenty checks a second paid for that in every request, for a context that is
// needed only while a transaction (or a watched atomically()) runs. This one is disabled again
// when its last run ends.
import { AsyncLocalStorage } from 'node:async_hooks';

export class TransactionContext<T> {
  private readonly storage = new AsyncLocalStorage<T>();
  private running = 0;

  /** The store of the run this call is inside, or undefined. */
  getStore(): T | undefined {
    return this.running > 0 ? this.storage.getStore() : undefined;
  }

  /** `fn` with `store` as its context; when no other run is under way afterwards, the context is switched off. */
  async run<R>(store: T, fn: () => Promise<R>): Promise<R> {
    this.running++;
    try {
      return await this.storage.run(store, fn);
    } finally {
      if (--this.running === 0) this.storage.disable();
    }
  }
}
