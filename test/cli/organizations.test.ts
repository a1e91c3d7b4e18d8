/**
 * Issue #12: `saml-sp organizations` spawned as a user runs it, on a temporary SQLite database, with domain
 * verification against a real DNS server on loopback (DNS_SERVERS).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../helpers/cli.ts';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/metadata/${name}`, import.meta.url));

let dir: string;
let dns: TestDnsServer;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-orgs-cli-'));
  dns = await startDnsServer();
  // Keys first, so that parallel commands below never race to generate them.
  expect((await cli('init')).code).toBe(0);
}, 60_000);
afterAll(async () => {
  await dns?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function cli(...args: string[]) {
  return runCli(
    { cwd: dir, env: cliEnv(dir, { baseUrl: 'https://sp.example.com', extra: { DNS_SERVERS: dns.server } }) },
    args,
  );
}

describe('saml-sp organizations', () => {
  it('adds, shows the DNS record to publish, verifies by DNS, lists and removes', {
    timeout: 120_000,
  }, async () => {
    const added = await cli('organizations', 'add', '--name', 'Acme Corp', '--domain', 'acme.test', '--json');
    expect(added.code).toBe(0);
    const organization = JSON.parse(added.stdout);
    expect(organization).toMatchObject({ id: 'acme-corp', name: 'Acme Corp', connections: [] });
    const { challenge } = organization.domains[0];

    const shown = await cli('organizations', 'show', 'acme-corp');
    expect(shown.stdout).toContain(
      `acme.test: NOT VERIFIED. Publish: ${challenge.name} TXT "${challenge.value}"`,
    );

    const notYet = await cli('organizations', 'domains', 'verify', 'acme-corp', 'acme.test');
    expect(notYet.code).toBe(1);
    expect(notYet.stderr).toContain('DOMAIN_VERIFICATION_FAILED');

    dns.txt.set(challenge.name, [[challenge.value]]);
    const verified = await cli('organizations', 'domains', 'verify', 'acme-corp', 'acme.test');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/acme\.test: verified \S+ \(dns, by cli\)/);

    const connection = await cli(
      'connections',
      'add',
      '--id',
      'acme-kc',
      '--metadata',
      fixture('keycloak-realm.xml'),
      '--organization',
      'acme-corp',
      '--json',
    );
    expect(connection.code).toBe(0);
    expect(JSON.parse(connection.stdout).organizationId).toBe('acme-corp');

    const set = await cli('organizations', 'set', 'acme-corp', '--sso-required', 'true', '--jit', 'false');
    expect(set.stdout).toContain('ssoRequired=true jit=false restrictToVerifiedDomains=true (active)');

    const listed = await cli('organizations', 'list');
    expect(listed.stdout).toContain('acme-corp\tAcme Corp\tacme.test\tconnections: acme-kc');

    const refused = await cli('organizations', 'remove', 'acme-corp');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ORGANIZATION_HAS_CONNECTIONS');
    expect((await cli('connections', 'remove', 'acme-kc')).code).toBe(0);
    expect((await cli('organizations', 'remove', 'acme-corp')).code).toBe(0);
    expect((await cli('organizations', 'show', 'acme-corp')).stderr).toContain('ORGANIZATION_NOT_FOUND');
  });

  it('marks a domain verified on an admin’s word, and keeps a domain in one organization', {
    timeout: 120_000,
  }, async () => {
    await cli('organizations', 'add', '--id', 'globex', '--name', 'Globex', '--domain', 'globex.test');
    const marked = await cli('organizations', 'domains', 'verify', 'globex', 'globex.test', '--admin');
    expect(marked.stdout).toMatch(/globex\.test: verified \S+ \(admin, by cli\)/);
    await cli('organizations', 'add', '--id', 'other', '--name', 'Other');
    const taken = await cli('organizations', 'domains', 'add', 'other', 'globex.test');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('DOMAIN_TAKEN');
  });

  it('refuses bad usage with exit 2', { timeout: 120_000 }, async () => {
    const results = await Promise.all([
      cli('organizations'),
      cli('organizations', 'frobnicate'),
      cli('organizations', 'add', '--domain', 'x.test'),
      cli('organizations', 'show'),
      cli('organizations', 'domains', 'verify', 'globex'),
      cli('organizations', 'set', 'globex', '--jit', 'maybe'),
      cli('organizations', 'add', '--name', 'Bad', '--id', 'bad/id'),
    ]);
    expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2, 2]);
  });
});
