// Adapters are loaded on first use, after the cockpit's first frame (start-up is a feature), and
// each import() is asked once: a module already loaded still costs the loader's work and its
// promises on every call, and twenty checks polled every second would ask twenty times a second.
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}
