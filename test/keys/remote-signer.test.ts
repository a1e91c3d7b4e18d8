/**
 * Issue #15 item 2: keys outside the process. The SP's signing and encryption keys live in another process
 * (test/helpers/remote-key-server.ts, started here and stopped by PID), which hands out only certificates.
 * The SP signs its metadata and AuthnRequests and unwraps an encrypted assertion's content key through it:
 * xmlsec1 verifies the signatures, the embedded samlify IdP accepts the requests and encrypts for the remote
 * certificate, and sign-ins work. When the service is down, the ACS answers 503 SAML_KEY_UNAVAILABLE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAndInflate } from '../../src/core/xml/encoding.ts';
import { xmlsecVerify } from '../core/xmlsec.ts';
import { parseForm, TestBrowser } from '../helpers/browser.ts';
import { type RemoteKeyService, startRemoteKeyService } from '../helpers/remote-keys.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'remote-signer-test-admin-token-0123456789';
let remote: RemoteKeyService;
let t: TestServer;

async function admin(method: string, path: string, body?: unknown) {
  const res = await fetch(`${t.baseUrl}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function signIn(b: TestBrowser) {
  const start = await b.get(`${t.baseUrl}/saml/dev/login?returnTo=/after`);
  expect(start.status).toBe(302);
  const loginPage = await b.follow(start);
  expect(loginPage.status).toBe(200);
  const acsForm = parseForm(
    await b.submit(parseForm(loginPage), { username: 'alice', password: 'alice-pass' }),
  );
  return b.submit(acsForm);
}

beforeAll(async () => {
  remote = await startRemoteKeyService();
  t = await startTestServer({ ADMIN_TOKEN: TOKEN }, { keyResolvers: { 'http:': remote.resolver } });
  // Register both remote keys, promote them, and retire the file keys: from here on only the remote keys sign
  // and decrypt.
  for (const use of ['signing', 'encryption'] as const) {
    const added = await admin('POST', '/keys', {
      use,
      certificatePem: remote.certificates[use],
      keyRef: `${remote.baseUrl}/keys/${use}`,
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ state: 'next', keyStorage: 'http:' });
    expect((await admin('POST', `/keys/${added.body.id}/promote`)).body.state).toBe('active');
    expect((await admin('POST', `/keys/file-${use}/retire`)).body.state).toBe('retired');
  }
}, 60_000);

afterAll(async () => {
  await t?.close();
  await remote?.stop();
});

describe('SP keys held by another process', () => {
  it('signs the SP metadata through the remote signer; xmlsec1 verifies it with the remote certificate', async () => {
    const before = (await remote.stats()).signing.sign;
    const res = await fetch(`${t.baseUrl}/saml/dev/metadata`);
    const xml = await res.text();
    expect((await remote.stats()).signing.sign).toBe(before + 1);
    const id = /\bID="([^"]+)"/.exec(xml)![1]!;
    const verified = await xmlsecVerify(
      xml,
      remote.certificates.signing,
      'urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor',
      ['--enabled-key-data', 'rsa'],
    );
    expect(verified.ok, verified.output).toBe(true);
    expect(id).toMatch(/^_/);
    // Only the remote certificates are published: the file keys are retired.
    const published = [
      ...xml.matchAll(
        /<md:KeyDescriptor use="\w+">\s*<ds:KeyInfo>\s*<ds:X509Data><ds:X509Certificate>([^<]+)</g,
      ),
    ].map((m) => m[1]);
    const base64 = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    expect(published).toEqual([base64(remote.certificates.signing), base64(remote.certificates.encryption)]);
  });

  it('fails xmlsec1 verification with another certificate (the check can fail)', async () => {
    const xml = await (await fetch(`${t.baseUrl}/saml/dev/metadata`)).text();
    const wrong = await xmlsecVerify(
      xml,
      remote.certificates.encryption,
      'urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor',
      ['--enabled-key-data', 'rsa'],
    );
    expect(wrong.ok).toBe(false);
  });

  it('signs the AuthnRequest remotely, and the samlify IdP accepts it', async () => {
    const before = (await remote.stats()).signing.sign;
    const b = new TestBrowser();
    const start = await b.get(`${t.baseUrl}/saml/dev/login`);
    const location = new URL(start.headers.get('location')!);
    expect(location.searchParams.get('Signature')).toBeTruthy();
    expect(decodeAndInflate(location.searchParams.get('SAMLRequest')!)).toContain('AuthnRequest');
    expect((await remote.stats()).signing.sign).toBe(before + 1);
    const loginPage = await b.follow(start);
    // The dev IdP verifies the redirect signature against our metadata before it shows the login form.
    expect(loginPage.status).toBe(200);
    expect(loginPage.body).toContain('<form');
  });

  it('signs in with an encrypted assertion whose content key is unwrapped remotely', async () => {
    const before = await remote.stats();
    const b = new TestBrowser();
    const start = await b.get(`${t.baseUrl}/saml/dev/login`);
    const requestId = /\bID="([^"]+)"/.exec(
      decodeAndInflate(new URL(start.headers.get('location')!).searchParams.get('SAMLRequest')!),
    )![1]!;
    const { samlResponse } = await t.server.devIdp!.issueResponse({
      spEntityId: t.server.sp.spIdentity({ id: 'dev' }).entityId,
      username: 'alice',
      inResponseTo: requestId,
      overrides: { encrypt: true },
    });
    expect(Buffer.from(samlResponse, 'base64').toString()).toContain('EncryptedAssertion');
    const answer = await b.post(`${t.baseUrl}/saml/dev/acs`, { SAMLResponse: samlResponse });
    expect(answer.status).toBe(303);
    const me = await b.get(`${t.baseUrl}/me`, { accept: 'application/json' });
    expect(JSON.parse(me.body).email).toBe('alice@example.com');
    expect((await remote.stats()).encryption.unwrap).toBe(before.encryption.unwrap + 1);
  });

  it('signs in through the whole browser flow (AuthnRequest signed remotely)', async () => {
    const landed = await signIn(new TestBrowser());
    expect(landed.status).toBe(303);
    expect(landed.headers.get('location')).toBe('/after');
  });

  it('answers 503 SAML_KEY_UNAVAILABLE, not a rejection, while the key service is down', async () => {
    const b = new TestBrowser();
    const start = await b.get(`${t.baseUrl}/saml/dev/login`);
    const requestId = /\bID="([^"]+)"/.exec(
      decodeAndInflate(new URL(start.headers.get('location')!).searchParams.get('SAMLRequest')!),
    )![1]!;
    const { samlResponse } = await t.server.devIdp!.issueResponse({
      spEntityId: t.server.sp.spIdentity({ id: 'dev' }).entityId,
      username: 'alice',
      inResponseTo: requestId,
      overrides: { encrypt: true },
    });
    await remote.stop();
    const answer = await b.post(
      `${t.baseUrl}/saml/dev/acs`,
      { SAMLResponse: samlResponse },
      { accept: 'application/json' },
    );
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body).error.code).toBe('SAML_KEY_UNAVAILABLE');
    const login = await b.get(`${t.baseUrl}/saml/dev/login`, { accept: 'application/json' });
    expect(login.status).toBe(503);
    expect(JSON.parse(login.body).error.code).toBe('SAML_KEY_UNAVAILABLE');
  });
});
