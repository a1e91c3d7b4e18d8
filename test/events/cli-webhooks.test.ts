/**
 * `saml-sp webhooks` spawned as a user runs it, on a temporary SQLite database: the CLI's own connection
 * changes are queued in the outbox (a server on the same database sends them), the delivery log is readable
 * and a delivery can be sent again.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKeyPair } from '../core/sp-fixtures.ts';
import { cliEnv, runCli } from '../helpers/cli.ts';
import { metadataWith } from './helpers.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-cli-webhooks-'));
  await writeFile(
    path.join(dir, 'idp.xml'),
    metadataWith('https://idp.cli.test', [testKeyPair('idp').certificatePem]),
  );
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function cli(...args: string[]) {
  return runCli({ cwd: dir, env: cliEnv(dir), timeoutMs: 30_000 }, args);
}

describe('saml-sp webhooks', () => {
  it('adds an endpoint (secret once), queues the CLI’s own changes, shows and resends deliveries', async () => {
    const added = await cli(
      'webhooks',
      'add',
      '--url',
      'https://hooks.example.test/in',
      '--event',
      'connection.*',
    );
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/Signing secret \(shown once[^\n]*\n whsec_|\nwhsec_[A-Za-z0-9+/]{32}\n/);
    const id = /endpoint (ep_[\w-]+)/.exec(added.stdout)?.[1] as string;

    const listed = await cli('webhooks', 'list');
    expect(listed.stdout).toContain(`${id}\ton\thttps://hooks.example.test/in\tconnection.*`);
    expect(listed.stdout).not.toContain('whsec_');

    expect((await cli('connections', 'add', '--id', 'acme', '--metadata', 'idp.xml')).code).toBe(0);
    const deliveries = await cli('webhooks', 'deliveries', '--json');
    const list = JSON.parse(deliveries.stdout) as Array<{
      id: string;
      eventType: string;
      status: string;
      connectionId: string;
    }>;
    expect(list.map((d) => [d.eventType, d.status, d.connectionId])).toEqual([
      ['connection.created', 'pending', 'acme'],
    ]);
    const message = list[0]?.id as string;

    const shown = await cli('webhooks', 'show', message);
    expect(shown.stdout).toContain('connection.created  pending');
    const again = await cli('webhooks', 'redeliver', message);
    expect(again.code).toBe(0);
    expect((await cli('webhooks', 'redeliver', 'msg_nope')).code).toBe(1);

    expect((await cli('webhooks', 'add')).code).toBe(2);
    // An unknown event type is an invalid request: usage (exit 2), as for connections.
    expect((await cli('webhooks', 'add', '--url', 'https://x.test', '--event', 'no.such')).code).toBe(2);
    expect((await cli('webhooks', 'deliveries', '--status', 'lost')).code).toBe(2);
    expect((await cli('webhooks', 'frobnicate')).code).toBe(2);

    expect((await cli('webhooks', 'remove', id)).code).toBe(0);
    expect((await cli('webhooks', 'list')).stdout).toContain('No webhook endpoints.');
  }, 120_000);
});
