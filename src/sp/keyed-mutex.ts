/**
 * Serialises async work per key within this process: a read-modify-write of one record (an organization)
 * must not interleave with another on the same record, while different records proceed in parallel.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  /**
   * Runs `work` after every earlier `run` with the same key has settled.
   *
   * @example
   * ```ts
   * const mutex = new KeyedMutex();
   * await mutex.run('acme', async () => store.put(change(await store.get('acme'))));
   * ```
   */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
