/**
 * The saml-sp command as a user runs it: a child process with Node 24, configured by the environment, on a
 * temporary SQLite file and certs folder. Exit codes: 0 success, 1 rejected input, 2 bad usage.
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildResponse, FIXED_NOW, IDP_ENTITY_ID } from '../fixtures/build-response.ts';
import { runCli } from '../helpers/cli.ts';

const root = path.resolve(import.meta.dirname, '../..');
let dir: string;
let env: NodeJS.ProcessEnv;

function run(args: string[], input?: string) {
  return runCli({ cwd: dir, env }, args, input);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-cli-'));
  // The fixture responses are addressed to https://sp.example.com and its ACS for connection `acme`.
  env = {
    ...process.env,
    BASE_URL: 'https://sp.example.com',
    DATABASE_URL: 'sqlite:cli.db',
    CERTS_DIR: 'certs',
    LOG_LEVEL: 'silent',
  };
  // metadata/sample-idp.xml is the documented sample; it trusts the fixture builder's `idp` key.
  await copyFile(path.join(root, 'metadata/sample-idp.xml'), path.join(dir, 'idp.xml'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('saml-sp', () => {
  it('prints usage and exits 2 for an unknown command', async () => {
    const result = await run(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: saml-sp');
  });

  it('init generates the SP keys once', async () => {
    const first = await run(['init']);
    expect(first.code).toBe(0);
    const cert = await readFile(path.join(dir, 'certs/sp-signing.cert.pem'), 'utf8');
    expect((await run(['init'])).code).toBe(0);
    expect(await readFile(path.join(dir, 'certs/sp-signing.cert.pem'), 'utf8')).toBe(cert);
  });

  it('metadata refuses to guess among zero connections (exit 1, with a hint)', async () => {
    const result = await run(['metadata']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('SAML_CONNECTION_NOT_FOUND');
    expect(result.stderr).toContain('hint:');
  });

  it('adds a connection, then writes its signed SP metadata to a file', async () => {
    const added = await run([
      'connections',
      'add',
      '--id',
      'acme',
      '--metadata',
      'idp.xml',
      '--preset',
      'generic',
      // The captured responses below were issued for the shared SP entity ID (an IdP configured before
      // connections had their own): the explicit choice.
      '--sp-entity-id-mode',
      'shared',
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('https://sp.example.com/saml/acme/acs');
    const written = await run(['metadata', '--connection', 'acme', '--out', 'out/sp.xml']);
    expect(written.code, written.stderr).toBe(0);
    const xml = await readFile(path.join(dir, 'out/sp.xml'), 'utf8');
    expect(xml).toContain('entityID="https://sp.example.com"');
    expect(xml).toContain('Location="https://sp.example.com/saml/acme/acs"');
    expect(xml).toContain('SignatureValue');
  });

  it('inspect explains every check of an acceptable response and exits 0', async () => {
    const response = await buildResponse({});
    const result = await run(
      ['inspect', '-', '--connection', 'acme', '--at', FIXED_NOW.toISOString()],
      response,
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('ACCEPTED');
    expect(result.stdout).toMatch(/\[ok {2}\] /);
    expect(result.stdout).not.toContain('FAIL');
  });

  it('inspect names the failing check, its code and hint, and exits 1', async () => {
    const response = await buildResponse({ audience: 'https://someone-else.example' });
    const result = await run(
      ['inspect', '-', '--connection', 'acme', '--at', FIXED_NOW.toISOString()],
      response,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('[FAIL]');
    expect(result.stdout).toContain('REJECTED SAML_AUDIENCE_MISMATCH');
    expect(result.stdout).toContain('hint:');
  });

  it('inspect decodes a message without a connection', async () => {
    const result = await run(['inspect', '-'], await buildResponse({}));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Message: <Response>');
    expect(result.stdout).toContain(`Issuer: ${IDP_ENTITY_ID}`);
  });

  it('users list says when nobody signed in yet', async () => {
    const result = await run(['users', 'list']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('No users yet');
  });
});
