/** A worker thread for sqlite-concurrency.test.ts: consumes every given request ID from its own connection. */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';

const { file, ids, now } = workerData as { file: string; ids: string[]; now: number };
const stores = openSqliteStores(file, { caches: 'database' });
const won: string[] = [];
for (const id of ids) {
  if ((await stores.requests.consume(id, new Date(now))) !== undefined) won.push(id);
}
await stores.close();
parentPort?.postMessage(won);
