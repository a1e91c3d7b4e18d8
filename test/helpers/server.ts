/**
 * Starts the real server (createAppServer, as `npm start` does) on 127.0.0.1 with a free port, a temporary
 * certs folder and a temporary SQLite file. Tests call `close()`; the temp folder goes with it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { type AppServer, createAppServer } from '../../src/server.ts';

export interface TestServer {
  baseUrl: string;
  port: number;
  dir: string;
  server: AppServer;
  close(): Promise<void>;
}

/** A port that was free a moment ago (BASE_URL must name the port before the server starts). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function startTestServer(
  env: Record<string, string> = {},
  options: Parameters<typeof createAppServer>[1] = {},
): Promise<TestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-kit-'));
  const port = await freePort();
  const config = loadConfig(
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${path.join(dir, 'test.db')}`,
      CERTS_DIR: path.join(dir, 'certs'),
      DEV_IDP: 'on',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...env,
    },
    { cwd: dir },
  );
  const server = await createAppServer(config, options);
  await server.listen(port, '127.0.0.1');
  return {
    baseUrl: config.baseUrl,
    port,
    dir,
    server,
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
