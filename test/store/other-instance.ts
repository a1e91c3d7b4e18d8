/**
 * Another instance on the same SQLite file, in a worker thread (config-edit-worker.ts): its own connection and
 * its own module state, so nothing it does reaches this thread except through the file, as another process.
 */
import { Worker } from 'node:worker_threads';
import type { ConfigEdit } from './config-edit-worker.ts';

/** The other instance: each `edit` resolves once the edit committed. */
export class OtherInstance {
  readonly #worker: Worker;
  readonly #ready: Promise<void>;

  constructor(file: string) {
    this.#worker = new Worker(new URL('./config-edit-worker.ts', import.meta.url), { workerData: { file } });
    this.#ready = this.#reply();
  }

  async edit(edit: ConfigEdit): Promise<void> {
    await this.#ready;
    const done = this.#reply();
    this.#worker.postMessage(edit);
    await done;
  }

  async close(): Promise<void> {
    await this.#ready;
    const exited = new Promise((resolve) => this.#worker.once('exit', resolve));
    this.#worker.postMessage('close');
    await exited;
  }

  #reply(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#worker.once('message', () => resolve());
      this.#worker.once('error', reject);
    });
  }
}
