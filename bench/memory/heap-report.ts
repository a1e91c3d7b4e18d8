/**
 * Loaded into the server under bench:memory with `--import` (like clock.ts): every 500 ms it writes the
 * server's V8 heap spaces and process memory to BENCH_HEAP_FILE, so the benchmark can say which part of the
 * RSS grows (the young generation growing to its maximum, old space, code, external buffers) without a heap
 * snapshot, which would itself move the figures. Nothing else about the server changes.
 */
import { writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

/** What one report holds: bytes per V8 space (committed, i.e. what the space takes from the RSS) and process totals. */
export interface HeapReport {
  spaces: Record<string, { committed: number; used: number }>;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

const file = process.env.BENCH_HEAP_FILE;
if (file) {
  const write = (): void => {
    const spaces: HeapReport['spaces'] = {};
    for (const s of getHeapSpaceStatistics())
      spaces[s.space_name] = { committed: s.physical_space_size, used: s.space_used_size };
    const m = process.memoryUsage();
    const report: HeapReport = {
      spaces,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      rss: m.rss,
    };
    writeFileSync(file, JSON.stringify(report));
  };
  setInterval(write, 500).unref();
}
