/**
 * Reading large IdP metadata on a worker thread, off the event loop that answers sign-ins.
 *
 * Why: node is single-threaded, and reading a federation aggregate is long, synchronous work: 0.3 s for the
 * unsigned 15 MB aggregate (streamed), 0.7 s signed (parsed whole, canonicalised, verified), 2.6 s for a
 * signed 57 MB one. Done on the event loop, at every import and scheduled refresh, no request is answered
 * for that long. On the worker the main thread only copies the text across.
 *
 * One worker, one document at a time (imports and refreshes queue), started at the first large document and
 * stopped after IDLE_MS without one, which also gives its heap back. Small metadata (an IdP's own, a few
 * kilobytes) is read on the calling thread: a worker round trip would cost more than the read.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { type SamlErrorCode, SamlSpError } from '../core/errors.ts';
import type { ParsedIdpMetadata } from '../core/metadata/idp-metadata.ts';
import { type ReadMetadataOptions, readMetadata } from './connections.ts';

/** Documents longer than this (in UTF-16 units) are read on the worker: 512 Ki, about 20 ms of parsing. */
export const OFF_THREAD_ABOVE = 512 * 1024;

/** How long the worker waits for another document before it stops. */
const IDLE_MS = 30_000;

/** A document for the worker. */
export interface MetadataJob {
  xml: string;
  options: ReadMetadataOptions;
}

/** The worker's answer: the facts, a SAML refusal (its fields), or an unexpected failure (its stack). */
export type MetadataJobResult =
  | { ok: true; parsed: ParsedIdpMetadata }
  | {
      ok: false;
      refusal: {
        code: SamlErrorCode;
        message: string;
        hint: string;
        details: Record<string, unknown>;
        status: number;
      };
    }
  | { ok: false; failure: string };

/** Jobs run one after another: each waits for the one before it. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * {@link readMetadata}, on the worker thread when `xml` is large: the same facts, or the same refusal.
 *
 * @example
 * ```ts
 * const parsed = await readMetadataOffThread(aggregateXml, { now: new Date(), idpEntityId, maxBytes: 64 << 20 });
 * ```
 */
export function readMetadataOffThread(xml: string, options: ReadMetadataOptions): Promise<ParsedIdpMetadata> {
  if (xml.length <= OFF_THREAD_ABOVE) return Promise.resolve().then(() => readMetadata(xml, options));
  const run = queue.then(() => thread.read({ xml, options }));
  queue = run.catch(() => undefined);
  return run;
}

/** The worker, started on demand and stopped when idle. */
class MetadataThread {
  #worker: Worker | undefined;
  #idle: NodeJS.Timeout | undefined;

  read(job: MetadataJob): Promise<ParsedIdpMetadata> {
    clearTimeout(this.#idle);
    const worker = this.#start();
    return new Promise<ParsedIdpMetadata>((resolve, reject) => {
      const settle = (done: () => void) => {
        worker.unref();
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        this.#stopWhenIdle();
        done();
      };
      const onMessage = (result: MetadataJobResult) =>
        settle(() => {
          if (result.ok) resolve(result.parsed);
          else if ('refusal' in result) {
            const { code, message, ...rest } = result.refusal;
            reject(new SamlSpError(code, message, rest));
          } else
            reject(new Error(`Reading the IdP metadata failed on the metadata thread: ${result.failure}`));
        });
      const onError = (error: Error) => {
        this.#worker = undefined;
        settle(() => reject(new Error(`The metadata thread failed: ${error.message}`, { cause: error })));
      };
      const onExit = (code: number) => {
        this.#worker = undefined;
        settle(() =>
          reject(new Error(`The metadata thread exited (code ${code}) while reading a document.`)),
        );
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      // While it reads, the worker keeps the process alive (a CLI command awaiting the import); idle, it does not.
      worker.ref();
      worker.postMessage(job);
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const extension = path.extname(new URL(import.meta.url).pathname);
    const worker = new Worker(new URL(`./metadata-thread-worker${extension}`, import.meta.url), {
      // No resourceLimits: the worker's heap follows the process's flags as the main thread's does, so the
      // heap check before a whole-document parse (limits.ts), made on the worker, sees the same figures. (With
      // an explicit limit V8 still aborted the process on a parse that outgrew it, measured.)
      name: 'saml-sp-metadata',
    });
    this.#worker = worker;
    return worker;
  }

  #stopWhenIdle(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      const worker = this.#worker;
      this.#worker = undefined;
      void worker?.terminate();
    }, IDLE_MS);
    this.#idle.unref();
  }
}

const thread = new MetadataThread();
