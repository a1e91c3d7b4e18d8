/**
 * The worker thread behind metadata-thread.ts: reads IdP metadata (`readMetadata`) for the main thread, one
 * document at a time, and answers with the facts or with the refusal, as plain data.
 */
import { parentPort } from 'node:worker_threads';
import { isSamlSpError } from '../core/errors.ts';
import { type ReadMetadataOptions, readMetadata } from './connections.ts';
import type { MetadataJob, MetadataJobResult } from './metadata-thread.ts';

parentPort?.on('message', (job: MetadataJob) => {
  parentPort?.postMessage(answer(job.xml, job.options));
});

function answer(xml: string, options: ReadMetadataOptions): MetadataJobResult {
  try {
    return { ok: true, parsed: readMetadata(xml, options) };
  } catch (error) {
    if (isSamlSpError(error)) {
      const { code, message, hint, details, status } = error;
      return { ok: false, refusal: { code, message, hint, details, status } };
    }
    return { ok: false, failure: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
}
