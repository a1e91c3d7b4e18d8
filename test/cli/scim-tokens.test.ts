/** `saml-sp scim-tokens` as a user runs it (issue #14): a child process on a temporary SQLite file. */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScimTokens } from '../../src/scim/index.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import { runCli } from '../helpers/cli.ts';

const root = path.resolve(import.meta.dirname, '../..');
let dir: string;
let env: NodeJS.ProcessEnv;

function run(args: string[]) {
  return runCli({ cwd: dir, env }, args);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-cli-scim-'));
  env = {
    ...process.env,
    BASE_URL: 'https://sp.example.com',
    DATABASE_URL: 'sqlite:cli.db',
    CERTS_DIR: 'certs',
    LOG_LEVEL: 'silent',
  };
  await copyFile(path.join(root, 'metadata/sample-idp.xml'), path.join(dir, 'idp.xml'));
  expect((await run(['connections', 'add', '--id', 'acme', '--metadata', 'idp.xml'])).code).toBe(0);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('saml-sp scim-tokens', () => {
  it('creates a token shown once, lists it without the secret, revokes it once', async () => {
    const created = await run(['scim-tokens', 'create', 'acme', '--name', 'Okta', '--json']);
    expect(created.code).toBe(0);
    const { id, token } = JSON.parse(created.stdout) as { id: string; token: string };
    expect(token).toMatch(/^scim_[0-9a-f]{16}_/);

    // The server on the same store accepts it for acme only; the database holds only its hash.
    const stores = openSqliteStores(path.join(dir, 'cli.db'));
    try {
      const tokens = new ScimTokens({ store: stores.scim! });
      expect(await tokens.verify(token, 'acme')).toBe(id);
      expect(await tokens.verify(token, 'globex')).toBeUndefined();
      expect(JSON.stringify(await stores.scim?.getToken(id))).not.toContain(token.slice(22));
    } finally {
      await stores.close();
    }

    const list = await run(['scim-tokens', 'list', 'acme']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(id);
    expect(list.stdout).toContain('Okta');
    expect(list.stdout).not.toContain(token);

    expect((await run(['scim-tokens', 'revoke', id])).code).toBe(0);
    expect((await run(['scim-tokens', 'revoke', id])).code).toBe(1);
    expect((await run(['scim-tokens', 'list', 'acme'])).stdout).toMatch(/revoked/);
  }, 60_000);

  it('exits 1 for an unknown organization and 2 for bad usage', async () => {
    expect((await run(['scim-tokens', 'create', 'nowhere'])).code).toBe(1);
    expect((await run(['scim-tokens', 'create'])).code).toBe(2);
    expect((await run(['scim-tokens', 'rotate', 'acme'])).code).toBe(2);
  }, 60_000);
});
