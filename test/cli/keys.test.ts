/**
 * `saml-sp keys` as a user runs it (a child process on a temporary SQLite file and certs folder): the file
 * keys adopted as active, generate -> promote -> retire with the dates shown, the metadata following the ring,
 * and the exit codes (0 ok, 1 refused, 2 usage).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const root = path.resolve(import.meta.dirname, '../..');
let dir: string;
let env: NodeJS.ProcessEnv;

function run(args: string[]) {
  return runCli({ cwd: dir, env }, args);
}

async function json(args: string[]) {
  const result = await run([...args, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-cli-keys-'));
  env = {
    ...process.env,
    BASE_URL: 'https://sp.example.com',
    DATABASE_URL: 'sqlite:cli.db',
    CERTS_DIR: 'certs',
    LOG_LEVEL: 'silent',
  };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('saml-sp keys', () => {
  it('rolls the signing key over: list, generate, promote, retire, with dates', async () => {
    const { keys } = await json(['keys', 'list']);
    // Both adopted keys date from their certificate's notBefore: their order depends on which was made first.
    expect(keys.map((k: { id: string; state: string }) => [k.id, k.state]).sort()).toEqual([
      ['file-encryption', 'active'],
      ['file-signing', 'active'],
    ]);

    const next = await json(['keys', 'generate', '--use', 'signing']);
    expect(next).toMatchObject({ use: 'signing', state: 'next', connectionId: null, keyStorage: 'file:' });
    expect(next.id).toMatch(/^signing-\d{8}-[0-9a-f]{6}$/);
    // The private key file is written for its owner only.
    expect((await stat(path.join(dir, 'certs/keys', `${next.id}.key.pem`))).mode & 0o777).toBe(0o600);

    const table = await run(['keys', 'list']);
    expect(table.stdout).toMatch(
      new RegExp(`${next.id}\\tsigning\\tnext\\tglobal\\tcreated \\d{4}-\\d{2}-\\d{2}\\tactive -`),
    );

    const promoted = await json(['keys', 'promote', next.id]);
    expect(promoted.state).toBe('active');
    expect(promoted.activatedAt).toEqual(expect.any(String));
    const retired = await json(['keys', 'retire', 'file-signing']);
    expect(retired).toMatchObject({ state: 'retired', retiredAt: expect.any(String) });

    // The metadata command signs with the ring's active key and publishes only it.
    expect(
      (
        await run([
          'connections',
          'add',
          '--id',
          'acme',
          '--metadata',
          path.join(root, 'metadata/sample-idp.xml'),
        ])
      ).code,
    ).toBe(0);
    const metadata = await run(['metadata', '--connection', 'acme']);
    expect(metadata.code).toBe(0);
    const body = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    expect(metadata.stdout).toContain(body(next.certificatePem));
    expect(metadata.stdout).not.toContain(body(retired.certificatePem));
  }, 60_000);

  it('refuses a state change the lifecycle does not have with exit 1, bad usage with exit 2', async () => {
    const refused = await run(['keys', 'retire', 'file-signing']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('KEY_TRANSITION_REFUSED');
    expect((await run(['keys', 'promote', 'no-such-key'])).stderr).toContain('KEY_NOT_FOUND');
    expect((await run(['keys', 'generate'])).code).toBe(2);
    expect((await run(['keys', 'generate', '--use', 'both'])).code).toBe(2);
    expect((await run(['keys', 'promote'])).code).toBe(2);
  }, 60_000);
});
