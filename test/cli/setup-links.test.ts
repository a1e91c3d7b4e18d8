/**
 * Issue #12 item 3: `saml-sp setup-links create | list | revoke`, spawned as a user runs it, on a temporary
 * SQLite database: the URL shown once, the 30-day maximum, revocation, exit codes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORGANIZATION_POLICY } from '../../src/core/organization.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import { cliEnv, runCli } from '../helpers/cli.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-cli-setup-'));
  // The organization, as the admin API would have created it.
  const stores = openSqliteStores(path.join(dir, 'cli.db'));
  const now = new Date().toISOString();
  await stores.organizations?.put({
    id: 'acme',
    name: 'Acme',
    domains: [],
    policy: { ...DEFAULT_ORGANIZATION_POLICY },
    createdAt: now,
    updatedAt: now,
  });
  await stores.close();
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function cli(...args: string[]) {
  return runCli(
    { cwd: dir, env: cliEnv(dir, { baseUrl: 'https://sp.example.com' }), timeoutMs: 30_000 },
    args,
  );
}

// Each call spawns the CLI (a Node start, the SQLite file, the keys): slow on a loaded machine.
describe('saml-sp setup-links', { timeout: 180_000 }, () => {
  it('creates (URL shown once), lists without the token, revokes', async () => {
    const created = await cli('setup-links', 'create', 'acme', '--days', '14', '--json');
    expect(created.code).toBe(0);
    const link = JSON.parse(created.stdout) as { id: string; url: string; expiresAt: string };
    expect(link.url).toMatch(/^https:\/\/sp\.example\.com\/setup\/[A-Za-z0-9_-]{43}$/);
    const days = (Date.parse(link.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(13.9);
    expect(days).toBeLessThanOrEqual(14);

    const list = await cli('setup-links', 'list', 'acme');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`${link.id}\tactive`);
    expect(list.stdout).toContain('by cli:cli');
    expect(list.stdout).not.toContain(link.url.slice(-43));

    const revoked = await cli('setup-links', 'revoke', link.id);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked setup link ${link.id} of "acme"`);
    expect((await cli('setup-links', 'list', 'acme')).stdout).toContain(`${link.id}\trevoked`);
  });

  it('exit codes: 2 for bad usage and more than 30 days, 1 for an unknown link', async () => {
    expect((await cli('setup-links')).code).toBe(2);
    expect((await cli('setup-links', 'create')).code).toBe(2);
    expect((await cli('setup-links', 'create', 'acme', '--days', 'soon')).code).toBe(2);
    const tooLong = await cli('setup-links', 'create', 'acme', '--days', '31');
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('ADMIN_INVALID_REQUEST');
    const noOrganization = await cli('setup-links', 'create', 'globex');
    expect(noOrganization.code).toBe(1);
    expect(noOrganization.stderr).toContain('ORGANIZATION_NOT_FOUND');
    const unknown = await cli('setup-links', 'revoke', 'sl_nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('SETUP_LINK_NOT_FOUND');
  });
});
