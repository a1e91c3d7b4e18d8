/**
 * Issue #16 item 6 from the command line: `saml-sp connections add | update --metadata-max-bytes SIZE`, spawned
 * as a user runs it, on a temporary SQLite database. The aggregate (a file, and a loopback URL) has 1,000
 * entities, about 1.5 MB: over the 1 MiB default.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseByteSize } from '../../src/cli/commands/connections.ts';
import { aggregateEntityId, federationAggregateXml } from '../fixtures/federation-aggregate.ts';
import { cliEnv, runCli } from '../helpers/cli.ts';

const FEED = federationAggregateXml({ entities: 1_000 });
const WANTED = aggregateEntityId(500);

let dir: string;
let feedFile: string;
let feedServer: Server;
let feedUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-cli-limits-'));
  feedFile = path.join(dir, 'feed.xml');
  await writeFile(feedFile, FEED);
  feedServer = createServer((_req, res) => {
    res.setHeader('content-type', 'application/samlmetadata+xml');
    res.end(FEED);
  });
  await new Promise<void>((resolve) => feedServer.listen(0, '127.0.0.1', resolve));
  feedUrl = `http://127.0.0.1:${(feedServer.address() as AddressInfo).port}/feed.xml`;
});

afterAll(async () => {
  feedServer?.closeAllConnections();
  await new Promise((resolve) => feedServer?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

function cli(...args: string[]) {
  return runCli(
    { cwd: dir, env: cliEnv(dir, { baseUrl: 'https://sp.example.com' }), timeoutMs: 90_000 },
    args,
  );
}

describe('saml-sp connections --metadata-max-bytes', () => {
  it('without it, the aggregate file is refused (exit 1) with the code and the setting to raise', async () => {
    const r = await cli(
      'connections',
      'add',
      '--id',
      'fed',
      '--metadata',
      feedFile,
      '--idp-entity-id',
      WANTED,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SAML_MESSAGE_TOO_LARGE');
    expect(r.stderr).toContain('policy.metadataMaxBytes');
  }, 120_000);

  it('with it, the IdP is imported from the file; show prints the limit and the aggregate', async () => {
    const added = await cli(
      'connections',
      'add',
      '--id',
      'fed',
      '--metadata',
      feedFile,
      '--idp-entity-id',
      WANTED,
      '--metadata-max-bytes',
      '4MiB',
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(WANTED);
    const shown = await cli('connections', 'show', 'fed');
    expect(shown.stdout).toContain(
      'size limit: 4194304 bytes (download cap 4194304) (policy.metadataMaxBytes)',
    );
    expect(shown.stdout).toContain('from an aggregate of 1000 entities');
  }, 120_000);

  it('update: switches to the URL under a new limit; bounds and bad sizes are usage errors (exit 2)', async () => {
    const moved = await cli(
      'connections',
      'update',
      'fed',
      '--metadata-url',
      feedUrl,
      '--idp-entity-id',
      aggregateEntityId(502),
      '--metadata-max-bytes',
      '2097152',
    );
    expect(moved.code).toBe(0);
    const json = JSON.parse((await cli('connections', 'show', 'fed', '--json')).stdout);
    expect(json.policy.metadataMaxBytes).toBe(2 * 1024 * 1024);
    expect(json.idpEntityId).toBe(aggregateEntityId(502));

    const tooSmall = await cli('connections', 'update', 'fed', '--metadata-max-bytes', '1000');
    expect(tooSmall.code).toBe(2);
    expect(tooSmall.stderr).toContain('ADMIN_INVALID_REQUEST');
    expect(tooSmall.stderr).toContain('policy.metadataMaxBytes');
    const notASize = await cli('connections', 'update', 'fed', '--metadata-max-bytes', 'lots');
    expect(notASize.code).toBe(2);

    const reset = await cli('connections', 'update', 'fed', '--metadata-max-bytes', 'default');
    expect(reset.code).toBe(0);
    const refreshed = await cli('connections', 'refresh', 'fed');
    expect(refreshed.code).toBe(1);
    expect(refreshed.stderr).toContain('SAML_MESSAGE_TOO_LARGE');
  }, 240_000);
});

describe('parseByteSize', () => {
  it('reads bytes, KiB, MiB and "default"', () => {
    expect(parseByteSize('65536')).toBe(65536);
    expect(parseByteSize('64KiB')).toBe(65536);
    expect(parseByteSize('64 mib')).toBe(64 * 1024 * 1024);
    expect(parseByteSize('default')).toBeNull();
    expect(parseByteSize(undefined)).toBeUndefined();
    expect(() => parseByteSize('1.5MiB')).toThrow(/not a size/);
  });
});
