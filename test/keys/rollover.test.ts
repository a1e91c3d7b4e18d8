/**
 * Issue #15 item 1 against the embedded samlify IdP, over HTTP on the real server: the SP signing and
 * encryption keys go next -> active -> retired through the admin API with a sign-in before, during and after
 * each change and none failing; the metadata publishes what each stage says; an assertion encrypted for the
 * old key is decrypted during the overlap and refused by name (SAML_DECRYPTION_KEY_RETIRED) once retired;
 * the lint warns while the IdP has not fetched the metadata since `next` was added; a connection can have its
 * own key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAndInflate } from '../../src/core/xml/encoding.ts';
import { verifyRedirectQuery } from '../../src/core/xml/sign.ts';
import { parseForm, TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'rollover-test-admin-token-0123456789abcdef';
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ ADMIN_TOKEN: TOKEN });
}, 60_000);
afterAll(async () => {
  await t?.close();
});

type Json = Record<string, unknown> & { error?: { code: string; hint: string } };

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${t.baseUrl}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

/** The certificates (base64) of the metadata's KeyDescriptors, by use. */
async function published(connectionId = 'dev'): Promise<{ signing: string[]; encryption: string[] }> {
  const xml = await (await fetch(`${t.baseUrl}/saml/${connectionId}/metadata`)).text();
  const of = (use: string) =>
    [
      ...xml.matchAll(
        new RegExp(
          `<md:KeyDescriptor use="${use}">\\s*<ds:KeyInfo>\\s*<ds:X509Data><ds:X509Certificate>([^<]+)<`,
          'g',
        ),
      ),
    ].map((m) => m[1]!);
  return { signing: of('signing'), encryption: of('encryption') };
}

const b64 = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

/** The certificate that signed a redirect-binding AuthnRequest, by trying each published one. */
function verifiesWith(url: URL, certificatePem: string): boolean {
  return verifyRedirectQuery(url.search.slice(1), [certificatePem], { allowSha1: false }).ok;
}

/** A complete sign-in through the dev IdP's login form; returns the AuthnRequest URL too. */
async function signIn(): Promise<{ status: number; request: URL }> {
  const b = new TestBrowser();
  const start = await b.get(`${t.baseUrl}/saml/dev/login?returnTo=/after`);
  const request = new URL(start.headers.get('location')!);
  const loginPage = await b.follow(start);
  if (loginPage.status !== 200) return { status: loginPage.status, request };
  const acsForm = parseForm(
    await b.submit(parseForm(loginPage), { username: 'alice', password: 'alice-pass' }),
  );
  const landed = await b.submit(acsForm);
  return { status: landed.status, request };
}

/** A browser with a pending request and an encrypted response for it, made now (for the keys published now). */
async function encryptedResponseNow(): Promise<{ b: TestBrowser; samlResponse: string }> {
  const b = new TestBrowser();
  const start = await b.get(`${t.baseUrl}/saml/dev/login`);
  const xml = decodeAndInflate(new URL(start.headers.get('location')!).searchParams.get('SAMLRequest')!);
  const { samlResponse } = await t.server.devIdp!.issueResponse({
    spEntityId: t.server.sp.spIdentity({ id: 'dev' }).entityId,
    username: 'alice',
    inResponseTo: /\bID="([^"]+)"/.exec(xml)![1]!,
    overrides: { encrypt: true },
  });
  return { b, samlResponse };
}

async function post(b: TestBrowser, samlResponse: string) {
  const answer = await b.post(
    `${t.baseUrl}/saml/dev/acs`,
    { SAMLResponse: samlResponse },
    { accept: 'application/json' },
  );
  return { status: answer.status, body: answer.status === 303 ? {} : (JSON.parse(answer.body) as Json) };
}

describe('signing key rollover with the embedded IdP', () => {
  it('keeps every sign-in working through next -> active -> retired', async () => {
    const failures: string[] = [];
    const check = async (stage: string) => {
      const { status } = await signIn();
      if (status !== 303) failures.push(`${stage}: ${status}`);
    };
    const fileCert = (await admin('GET', '/keys/file-signing')).body.certificatePem as string;
    await check('before');
    expect((await published()).signing).toEqual([b64(fileCert)]);

    const next = await admin('POST', '/keys', { use: 'signing' });
    expect(next.status).toBe(201);
    expect(next.body).toMatchObject({ state: 'next', use: 'signing', connectionId: null, activatedAt: null });
    const nextCert = next.body.certificatePem as string;
    await check('next added');
    // Both published; the active (file) key still signs.
    expect(new Set((await published()).signing)).toEqual(new Set([b64(fileCert), b64(nextCert)]));
    let { request } = await signIn();
    expect(verifiesWith(request, fileCert)).toBe(true);

    const promoted = await admin('POST', `/keys/${next.body.id}/promote`);
    expect(promoted.body).toMatchObject({ state: 'active', activatedAt: expect.any(String) });
    await check('promoted');
    ({ request } = await signIn());
    expect(verifiesWith(request, nextCert)).toBe(true);
    expect(verifiesWith(request, fileCert)).toBe(false);

    const retiredOld = await admin('POST', '/keys/file-signing/retire');
    expect(retiredOld.body).toMatchObject({ state: 'retired', retiredAt: expect.any(String) });
    await check('old retired');
    expect((await published()).signing).toEqual([b64(nextCert)]);
    expect(failures).toEqual([]);
  }, 60_000);

  it('refuses transitions the lifecycle does not have, with coded answers', async () => {
    const list = (await admin('GET', '/keys')).body.keys as { id: string; state: string; use: string }[];
    const active = list.find((k) => k.use === 'signing' && k.state === 'active')!;
    const promoteActive = await admin('POST', `/keys/${active.id}/promote`);
    expect(promoteActive.status).toBe(409);
    expect(promoteActive.body.error?.code).toBe('KEY_TRANSITION_REFUSED');
    const retireLast = await admin('POST', `/keys/${active.id}/retire`);
    expect(retireLast.status).toBe(409);
    expect(retireLast.body.error?.hint).toContain('Generate a new signing key');
    // Every change made above is in the audit log, with who made it.
    const audit = await admin('GET', `/audit?targetType=sp-key&targetId=${active.id}`);
    const entries = audit.body.entries as { action: string; actor: { name: string } }[];
    expect(entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['sp_key.generated', 'sp_key.promoted']),
    );
    expect(entries[0]?.actor.name).toBeTruthy();
    expect((await admin('POST', '/keys/nope/promote')).body.error?.code).toBe('KEY_NOT_FOUND');
    expect((await admin('POST', '/keys', { use: 'both' })).body.error?.code).toBe('ADMIN_INVALID_REQUEST');
  });
});

describe('encryption key rollover with the embedded IdP', () => {
  it('decrypts an assertion made for the old key during the overlap, and refuses it by name once retired', async () => {
    const ok = await encryptedResponseNow();
    expect((await post(ok.b, ok.samlResponse)).status).toBe(303);

    const next = await admin('POST', '/keys', { use: 'encryption' });
    // Two assertions encrypted for the old (still active) key, before the switch.
    const inFlight = await encryptedResponseNow();
    const late = await encryptedResponseNow();

    await admin('POST', `/keys/${next.body.id}/promote`);
    // The IdP now encrypts for the new key (first in the metadata); the old one still decrypts.
    const fresh = await encryptedResponseNow();
    expect((await published()).encryption[0]).toBe(b64(next.body.certificatePem as string));
    expect((await post(fresh.b, fresh.samlResponse)).status).toBe(303);
    expect((await post(inFlight.b, inFlight.samlResponse)).status).toBe(303);

    await admin('POST', '/keys/file-encryption/retire');
    const refused = await post(late.b, late.samlResponse);
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('SAML_DECRYPTION_KEY_RETIRED');
    expect(refused.body.error?.hint).toContain('file-encryption');
    const after = await encryptedResponseNow();
    expect((await post(after.b, after.samlResponse)).status).toBe(303);
  }, 60_000);
});

describe('key lint and per-connection keys', () => {
  it('warns that the IdP has not fetched the metadata since next was added, until it does', async () => {
    const next = await admin('POST', '/keys', { use: 'signing' });
    const lint = async () =>
      ((await admin('GET', '/keys?connectionId=dev')).body.lint as { id: string; message: string }[]).map(
        (l) => l.id,
      );
    expect(await lint()).toContain('sp-key-next-not-fetched');
    // The dev IdP reads our metadata in-process; a GET of the metadata URL is what an IdP that polls does.
    await fetch(`${t.baseUrl}/saml/dev/metadata`, { headers: { 'user-agent': 'test-idp/1.0' } });
    await expect.poll(lint).not.toContain('sp-key-next-not-fetched');
    await admin('POST', `/keys/${next.body.id}/retire`);
  });

  it('gives one connection its own signing key while the others keep the global one', async () => {
    const global = (await published()).signing;
    const own = await admin('POST', '/keys', { use: 'signing', connectionId: 'dev' });
    expect(own.body.connectionId).toBe('dev');
    const withNext = (await published()).signing;
    expect(withNext).toEqual(expect.arrayContaining([...global, b64(own.body.certificatePem as string)]));
    await admin('POST', `/keys/${own.body.id}/promote`);
    expect((await published()).signing).toEqual([b64(own.body.certificatePem as string)]);
    const { status, request } = await signIn();
    expect(status).toBe(303);
    expect(verifiesWith(request, own.body.certificatePem as string)).toBe(true);
    const view = await admin('GET', '/keys?connectionId=dev');
    expect((view.body.uses as { signing: string }).signing).toBe(own.body.id);
    // Retiring the connection's last own key falls back to the global key.
    await admin('POST', `/keys/${own.body.id}/retire`);
    expect((await published()).signing).toEqual(global);
    expect((await signIn()).status).toBe(303);
  }, 60_000);
});
