/** consume() under real parallelism: two threads, two SQLite connections, one file, racing for every ID. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import { at, buildRequest } from './harness.ts';

function runWorker(workerData: { file: string; ids: string[]; now: number }): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./consume-worker.ts', import.meta.url), { workerData });
    worker.once('message', (won: string[]) => resolve(won));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}`));
    });
  });
}

it('every request ID is consumed by exactly one of two racing threads', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-race-'));
  try {
    const file = path.join(dir, 'race.db');
    const stores = openSqliteStores(file, { caches: 'database' });
    const ids: string[] = [];
    for (let i = 0; i < 400; i++) {
      const request = buildRequest({ requestId: `_race${i}` });
      await stores.requests.save(request);
      ids.push(request.requestId);
    }
    await stores.close();

    const now = at(1).getTime();
    // Opposite orders make the threads meet in the middle instead of trailing each other.
    const [a, b] = await Promise.all([
      runWorker({ file, ids, now }),
      runWorker({ file, ids: [...ids].reverse(), now }),
    ]);
    expect(a.length + b.length).toBe(ids.length);
    expect(new Set([...a, ...b]).size).toBe(ids.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
