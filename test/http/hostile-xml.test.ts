/**
 * Issue #9 items 3, 4 and 5 over HTTP: hostile messages posted to the real server's ACS, each refused with
 * its code and no session. The connection trusts the fixture IdP key and the server decrypts with the fixture
 * SP key, so the fixture builder makes genuine signed (and encrypted) responses that the tests then bend.
 *
 * Before: the deep and processing-instruction responses, the foreign Response child, the rsa-1_5 key behind a
 * foreign EncryptionMethod and the unsigned CBC ciphertext signed the user in (303); 20,000 levels inside
 * SignedInfo escaped as a 500; a replay after the first bearer confirmation expired signed in a second time.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BuildResponseOptions,
  buildConnection,
  buildResponseXml,
  encodeResponse,
} from '../fixtures/build-response.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const keyFile = (name: string) => fileURLToPath(new URL(`../fixtures/keys/${name}`, import.meta.url));

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({
    SP_ENCRYPTION_KEY_FILE: keyFile('sp.key.pem'),
    SP_ENCRYPTION_CERT_FILE: keyFile('sp.cert.pem'),
  });
  // IdP-initiated responses need no pending request, so each test posts exactly what it built. No clock
  // skew, so that the replay test can outlive a bearer confirmation in two seconds.
  await t.server.sp.stores.connections.put(
    buildConnection({ id: 'acme', policy: { allowIdpInitiated: true, clockSkewSeconds: 0 } }),
  );
});
afterAll(async () => {
  await t?.close();
});

/** A genuine response for the `acme` connection of the test server, signed now, bent by `options`. */
async function responseXml(options: BuildResponseOptions = {}): Promise<string> {
  const sp = t.server.sp.spIdentity({ id: 'acme' });
  return buildResponseXml({
    now: new Date(),
    assertionId: `_a${randomUUID().replaceAll('-', '')}`,
    responseId: `_r${randomUUID().replaceAll('-', '')}`,
    audience: sp.entityId,
    recipient: sp.acsUrl,
    destination: sp.acsUrl,
    inResponseTo: null,
    ...options,
  });
}

async function post(b: TestBrowser, xml: string) {
  const answer = await b.post(
    `${t.baseUrl}/saml/acme/acs`,
    { SAMLResponse: encodeResponse(xml) },
    { accept: 'application/json' },
  );
  const signedIn = answer.headers.getSetCookie().some((c) => c.startsWith('saml_sp_session='));
  return { answer, signedIn };
}

async function expectRefused(xml: string, code: string): Promise<void> {
  const b = new TestBrowser();
  const { answer, signedIn } = await post(b, xml);
  expect(answer.status, answer.body.slice(0, 300)).toBe(400);
  const body = JSON.parse(answer.body) as { error: { code: string; hint: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.hint.length).toBeGreaterThan(20);
  expect(signedIn).toBe(false);
}

const nest = (depth: number) => `<x:a xmlns:x="urn:x">${'<x:a>'.repeat(depth - 1)}${'</x:a>'.repeat(depth)}`;

describe('hostile XML posted to the ACS', () => {
  it('signs in with a genuine response (the setup works)', async () => {
    const { answer, signedIn } = await post(new TestBrowser(), await responseXml());
    expect(answer.status).toBe(303);
    expect(signedIn).toBe(true);
  });

  it('20,000 nested elements outside the signed part: SAML_XML_TOO_DEEP', async () => {
    const xml = (await responseXml()).replace(
      '<samlp:Status>',
      `<samlp:Extensions>${nest(20_000)}</samlp:Extensions><samlp:Status>`,
    );
    await expectRefused(xml, 'SAML_XML_TOO_DEEP');
  });

  it('20,000 nested elements inside SignedInfo: SAML_XML_TOO_DEEP, not a 500', async () => {
    const genuine = await responseXml();
    const at = genuine.indexOf('<ds:SignedInfo>') + '<ds:SignedInfo>'.length;
    await expectRefused(genuine.slice(0, at) + nest(20_000) + genuine.slice(at), 'SAML_XML_TOO_DEEP');
  });

  it('a processing instruction inside the signed assertion: SAML_PROCESSING_INSTRUCTION_FORBIDDEN', async () => {
    const xml = await responseXml({
      editAssertion: (a) => a.replace('<saml:Subject>', '<?evil payload?><saml:Subject>'),
    });
    await expectRefused(xml, 'SAML_PROCESSING_INSTRUCTION_FORBIDDEN');
  });

  it('a foreign element among the Response children before the Assertion: SAML_STRUCTURE_INVALID', async () => {
    const xml = (await responseXml()).replace(
      '<saml:Assertion ',
      '<x:note xmlns:x="urn:x"/><saml:Assertion ',
    );
    await expectRefused(xml, 'SAML_STRUCTURE_INVALID');
  });

  it('an rsa-1_5 wrapped key behind a foreign-namespace EncryptionMethod: refused', async () => {
    const xml = (await responseXml({ encrypt: { keyTransport: 'rsa-1_5' } })).replace(
      /<(\w+):EncryptionMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmlenc#rsa-1_5">/,
      '<evil:EncryptionMethod xmlns:evil="urn:example:evil" Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-1_5"/>' +
        '<$1:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p">',
    );
    expect(xml).toContain('urn:example:evil');
    await expectRefused(xml, 'SAML_STRUCTURE_INVALID');
  });

  it('AES-CBC ciphertext that no Response signature covers: SAML_ALGORITHM_FORBIDDEN', async () => {
    await expectRefused(
      await responseXml({ encrypt: { algorithm: 'aes256-cbc' } }),
      'SAML_ALGORITHM_FORBIDDEN',
    );
    const signed = await post(
      new TestBrowser(),
      await responseXml({ sign: 'both', encrypt: { algorithm: 'aes256-cbc' } }),
    );
    expect(signed.answer.status).toBe(303);
  });
});

describe('the replay horizon covers the latest bearer confirmation', () => {
  it('refuses a replay after the first confirmation expired while a later one still accepts', async () => {
    const now = new Date();
    const xml = await responseXml({
      now,
      subjectNotOnOrAfter: new Date(now.getTime() + 1500),
      extraConfirmations: [{ notOnOrAfter: new Date(now.getTime() + 3600_000) }],
    });
    const first = await post(new TestBrowser(), xml);
    expect(first.answer.status).toBe(303);
    // Past the first confirmation (the one accepted above); the second still accepts the assertion.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await expectRefused(xml, 'SAML_REPLAYED');
  });
});
