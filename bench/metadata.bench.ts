/**
 * `npm run bench:metadata`: importing one IdP from a federation aggregate, end to end. A 10,000-entity
 * aggregate (about 15 MB, half IdPs, half SPs: test/fixtures/federation-aggregate.ts) is served by a loopback
 * HTTP server; each run creates a connection through ConnectionService (the admin API's, the CLI's and the
 * page's implementation) on a SQLite store: download, strict check of the whole document, choice of the IdP by
 * its entity ID, connection built and stored. Then the store read a sign-in makes is timed on that connection.
 *
 * Printed, each as p50 (and min..max) over BENCH_RUNS runs, in one process so the lines compare as ratios:
 * - import of one IdP from the unsigned aggregate (the path an admin with a raised metadataMaxBytes takes);
 * - the whole-document DOM parse (xmldom through parseXml) that the import did before this change, for scale;
 * - import from the same aggregate signed and pinned (the signature covers the whole document, so it is parsed,
 *   canonicalised and verified whole);
 * - the sign-in's read of the stored connection (only the chosen entity is stored);
 * and the peak RSS after the unsigned imports and at the end. Each import line also gives the longest the event
 * loop was blocked meanwhile: documents over 512 Ki are read on a worker thread (src/sp/metadata-thread.ts).
 *
 * Options (environment): BENCH_ENTITIES (default 10000), BENCH_RUNS (7), BENCH_SIGNED_RUNS (3; 0 skips it).
 * Run it with `nice` on a shared machine.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isSamlSpError } from '../src/core/errors.ts';
import { parseXml } from '../src/core/xml/parse.ts';
import { ConnectionService } from '../src/sp/connection-service.ts';
import { ServiceProvider } from '../src/sp/service-provider.ts';
import { openStores } from '../src/store/index.ts';
import { testKeyPair } from '../test/core/sp-fixtures.ts';
import {
  aggregateEntityId,
  federationAggregateXml,
  TARGET_INDEX,
} from '../test/fixtures/federation-aggregate.ts';

const ENTITIES = Number(process.env.BENCH_ENTITIES ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const SIGNED_RUNS = Number(process.env.BENCH_SIGNED_RUNS ?? 3);
const LIMIT = 64 * 1024 * 1024;

function summary(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const p50 = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const fmt = (v: number) => v.toFixed(v < 10 ? 2 : 0);
  return `p50 ${fmt(p50)} ms (${fmt(sorted[0]!)}..${fmt(sorted.at(-1)!)}, n=${sorted.length})`;
}

const peakRssMb = () => (process.resourceUsage().maxRSS / 1024).toFixed(0);

/** Wall-clock ms per run, this process's CPU ms (user + system, every thread) per run (on a shared machine the
 * CPU time moves much less with the load than the wall time), and the longest the event loop was blocked
 * during the run: what a sign-in arriving meanwhile would have waited at most. */
async function timed(
  runs: number,
  work: (i: number) => Promise<unknown> | unknown,
): Promise<number[] & { cpu: number[]; blocked: number[] }> {
  const out = Object.assign([] as number[], { cpu: [] as number[], blocked: [] as number[] });
  for (let i = 0; i < runs; i++) {
    // With --expose-gc, the garbage of the run before (the signed fixture's DOM) is not collected during this one.
    (globalThis as { gc?: () => void }).gc?.();
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    // The monitor records the gaps between its own ticks: let it tick once before the work starts.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const cpu = process.cpuUsage();
    const start = performance.now();
    await work(i);
    out.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    // A block that ended the run is recorded when the monitor's late timer fires: let it.
    await new Promise((resolve) => setTimeout(resolve, 20));
    loop.disable();
    out.cpu.push((used.user + used.system) / 1000);
    out.blocked.push(loop.max / 1e6);
  }
  return out;
}

const both = (ms: number[] & { cpu: number[]; blocked: number[] }) =>
  `wall ${summary(ms)}; CPU ${summary(ms.cpu)}; event loop blocked at most ${summary(ms.blocked)}`;

async function main(): Promise<void> {
  const plain = federationAggregateXml({ entities: ENTITIES });
  // Signed later (signing builds a whole DOM), so the first peak RSS is the unsigned imports' own.
  let signed = '';
  const wanted = aggregateEntityId(Math.min(TARGET_INDEX, ENTITIES - (ENTITIES % 2) - 2));
  console.log(
    `node ${process.version}; aggregate of ${ENTITIES} entities, ${(Buffer.byteLength(plain) / 1e6).toFixed(1)} MB; importing ${wanted}`,
  );

  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/samlmetadata+xml');
    res.end(req.url === '/signed.xml' ? signed : plain);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-bench-metadata-'));
  const stores = await openStores({ databaseUrl: `sqlite:${path.join(dir, 'bench.db')}` });
  const keys = testKeyPair('sp');
  const sp = new ServiceProvider({
    baseUrl: 'https://sp.example.com',
    entityId: 'https://sp.example.com/saml/metadata',
    keys: { signing: keys, encryption: keys },
    stores,
    // The fixture's validUntil is 2027-12-01.
    now: () => new Date('2026-12-02T00:00:00Z'),
  });
  const connections = new ConnectionService({ sp });

  try {
    // The default limits refuse the aggregate, with the setting to raise in the hint.
    const refused = await connections
      .create({ id: 'default-limit', metadataUrl: `${base}/feed.xml`, idpEntityId: wanted })
      .then(
        () => 'accepted (unexpected)',
        (err: unknown) => (isSamlSpError(err) ? `${err.code}: ${err.hint}` : String(err)),
      );
    console.log(`default limits: ${refused}`);

    const imports = await timed(RUNS, (i) =>
      connections.create({
        id: `fed-${i}`,
        metadataUrl: `${base}/feed.xml`,
        idpEntityId: wanted,
        policy: { metadataMaxBytes: LIMIT },
      }),
    );
    const stored = await stores.connections.get('fed-0');
    console.log(`import one IdP (unsigned aggregate, over HTTP, into SQLite): ${both(imports)}`);
    console.log(
      `  stored metadata: ${stored?.metadataXml?.length ?? 0} characters (an excerpt of the ${stored?.metadataStatus?.aggregate?.bytes} bytes)`,
    );
    console.log(`  peak RSS so far: ${peakRssMb()} MB`);

    const reads = await timed(RUNS * 10, () => stores.connections.get('fed-0'));
    console.log(`sign-in read of the stored connection: ${summary(reads)}`);

    const dom = await timed(Math.min(RUNS, 3), () =>
      parseXml(plain, { what: 'IdP metadata', maxBytes: LIMIT, allowProcessingInstructions: true }),
    );
    console.log(`for scale, the whole-document DOM (xmldom, the import's parse before): ${both(dom)}`);

    if (SIGNED_RUNS > 0) {
      signed = federationAggregateXml({ entities: ENTITIES, signed: true });
      const pin = testKeyPair('idp-next').certificatePem;
      const signedImports = await timed(SIGNED_RUNS, (i) =>
        connections.create({
          id: `signed-${i}`,
          metadataUrl: `${base}/signed.xml`,
          idpEntityId: wanted,
          metadataSigningCertificates: [pin],
          policy: { metadataMaxBytes: LIMIT },
        }),
      );
      console.log(`import one IdP (signed aggregate, pinned signer, verified whole): ${both(signedImports)}`);
    }
    console.log(`peak RSS: ${peakRssMb()} MB`);
  } finally {
    await stores.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
