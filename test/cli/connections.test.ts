/**
 * Issue #3: the saml-sp CLI on a temporary SQLite database and certs folder, spawned as a user runs it:
 * connections add (file, URL, pinned signed metadata), list, show (health and lint), refresh (rollover kept,
 * failure recorded), remove; metadata; users list; exit codes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCertificate } from '../../src/core/keys.ts';
import { testKeyPair } from '../core/sp-fixtures.ts';
import { cliEnv, runCli } from '../helpers/cli.ts';
import { idpMetadataXml } from '../sp/metadata-builder.ts';

const root = new URL('../../', import.meta.url).pathname;
const fixture = (name: string) => path.join(root, 'test/fixtures/metadata', name);
const fp = (name: 'idp' | 'idp-next') =>
  describeCertificate(testKeyPair(name).certificatePem).fingerprintSha256;

let dir: string;
let idpServer: Server;
let metadataUrl: string;
let published: ('idp' | 'idp-next')[] = ['idp'];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-cli-'));
  idpServer = createServer((_req, res) => {
    res.setHeader('content-type', 'application/samlmetadata+xml');
    res.end(idpMetadataXml({ keys: published }));
  });
  await new Promise<void>((resolve) => idpServer.listen(0, '127.0.0.1', resolve));
  metadataUrl = `http://127.0.0.1:${(idpServer.address() as AddressInfo).port}/metadata`;
});

afterAll(async () => {
  idpServer?.closeAllConnections();
  await new Promise((resolve) => idpServer?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

function cli(...args: string[]) {
  // Generous: a test below starts eight CLI processes at once, and on a loaded 2-core machine each may need
  // tens of seconds to start.
  return runCli(
    { cwd: dir, env: cliEnv(dir, { baseUrl: 'https://sp.example.com' }), timeoutMs: 90_000 },
    args,
  );
}

describe('saml-sp connections', () => {
  it('adds from a file and prints the SP values and the findings', async () => {
    const { code, stdout } = await cli(
      'connections',
      'add',
      '--id',
      'entra',
      '--metadata',
      fixture('entra-app.xml'),
      '--preset',
      'entra',
    );
    expect(code).toBe(0);
    expect(stdout).toContain('ACS URL (HTTP-POST):  https://sp.example.com/saml/entra/acs');
    expect(stdout).toContain('trusts 2 certificate(s)');
  }, 30_000);

  it('adds ADFS signed metadata with a pinned certificate, and refuses a wrong pin', async () => {
    const pin = path.join(dir, 'adfs-signing.pem');
    await writeFile(pin, testKeyPair('idp').certificatePem);
    const ok = await cli(
      'connections',
      'add',
      '--id',
      'adfs',
      '--metadata',
      fixture('adfs-signed.xml'),
      '--preset',
      'adfs',
      '--metadata-signing-cert',
      pin,
    );
    expect(ok.code).toBe(0);
    const rogue = path.join(dir, 'rogue.pem');
    await writeFile(rogue, testKeyPair('idp-rogue').certificatePem);
    const refused = await cli(
      'connections',
      'add',
      '--id',
      'adfs2',
      '--metadata',
      fixture('adfs-signed.xml'),
      '--metadata-signing-cert',
      rogue,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('SAML_SIGNATURE_UNTRUSTED');
  }, 30_000);

  it('adds from a URL, lists, and shows health and lint', async () => {
    expect(
      (await cli('connections', 'add', '--id', 'okta', '--metadata-url', metadataUrl, '--preset', 'okta'))
        .code,
    ).toBe(0);
    const list = await cli('connections', 'list');
    expect(
      list.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]),
    ).toEqual(['adfs', 'entra', 'okta']);
    expect(list.stdout).toMatch(/okta\tok\tokta\turl\t/);
    const show = await cli('connections', 'show', 'adfs');
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('health: ok');
    expect(show.stdout).toContain('[info] adfs-sha1');
    expect(show.stdout).toContain('[info] metadata-other-roles');
    expect(show.stdout).toContain('last success: never');
    const json = JSON.parse((await cli('connections', 'show', 'entra', '--json')).stdout) as {
      lint: { id: string }[];
    };
    expect(json.lint.map((l) => l.id)).toEqual(
      expect.arrayContaining(['metadata-bom', 'metadata-wsfed-roles']),
    );
  }, 60_000);

  it('refresh keeps the certificates of a rollover, and records a failure without losing the last good copy', async () => {
    published = ['idp-next'];
    const ok = await cli('connections', 'refresh', 'okta');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('1 new, 1 kept for rollover');
    const show = await cli('connections', 'show', 'okta', '--json');
    const view = JSON.parse(show.stdout) as {
      signingCertificates: { fingerprintSha256: string; retired: boolean }[];
    };
    expect(view.signingCertificates.map((c) => [c.fingerprintSha256, c.retired])).toEqual([
      [fp('idp-next'), false],
      [fp('idp'), true],
    ]);
    idpServer.closeAllConnections();
    await new Promise((resolve) => idpServer.close(resolve));
    const failed = await cli('connections', 'refresh', 'okta');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('SAML_METADATA_INVALID');
    expect(failed.stderr).toContain('stays in use');
    const after = await cli('connections', 'show', 'okta');
    expect(after.stdout).toContain('last refresh FAILED');
    expect(after.stdout).toContain('metadata-refresh-failing');
    expect(after.stdout).toContain(fp('idp-next'));
    expect((await cli('connections', 'refresh', 'entra')).stderr).toContain('CONNECTION_NOT_REFRESHABLE');
  }, 60_000);

  it('refuses bad usage with exit 2 and unusable input with exit 1', async () => {
    const [noId, badPreset, badId, unknownSub, hostile, aggregate, dup, missing] = await Promise.all([
      cli('connections', 'add', '--preset', 'okta'),
      cli('connections', 'add', '--id', 'x', '--metadata', fixture('keycloak-realm.xml'), '--preset', 'ping'),
      cli('connections', 'add', '--id', 'bad/id', '--metadata', fixture('keycloak-realm.xml')),
      cli('connections', 'frobnicate'),
      cli('connections', 'add', '--id', 'evil', '--metadata', fixture('hostile-billion-laughs.xml')),
      cli('connections', 'add', '--id', 'fed', '--metadata', fixture('aggregate-two-idps.xml')),
      cli('connections', 'add', '--id', 'entra', '--metadata', fixture('entra-app.xml')),
      cli('connections', 'show', 'nope'),
    ]);
    expect([noId.code, badPreset.code, badId.code, unknownSub.code]).toEqual([2, 2, 2, 2]);
    expect(hostile.code).toBe(1);
    expect(hostile.stderr).toContain('SAML_DTD_FORBIDDEN');
    expect(aggregate.code).toBe(1);
    expect(aggregate.stderr).toContain('idpEntityId');
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('CONNECTION_EXISTS');
    expect(missing.stderr).toContain('SAML_CONNECTION_NOT_FOUND');
  }, 120_000);

  it('prints SP metadata, lists users, and removes', async () => {
    const [metadata, users] = await Promise.all([
      cli('metadata', '--connection', 'entra'),
      cli('users', 'list'),
    ]);
    expect(metadata.code).toBe(0);
    expect(metadata.stdout).toContain('https://sp.example.com/saml/entra/acs');
    expect(users.stdout).toContain('No users yet');
    expect((await cli('connections', 'remove', 'entra')).code).toBe(0);
    expect((await cli('connections', 'remove', 'entra')).code).toBe(1);
    expect((await cli('connections', 'list')).stdout).not.toContain('entra');
  }, 60_000);
});
