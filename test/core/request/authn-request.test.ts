import * as samlify from 'samlify';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSpMetadata } from '../../../src/core/metadata/sp-metadata.ts';
import {
  buildAuthnRequest,
  chooseSsoBinding,
  encodePostRequest,
  encodeRedirectRequest,
} from '../../../src/core/request/authn-request.ts';
import { BINDING_URIS, type Connection, DEFAULT_POLICY, type SpIdentity } from '../../../src/core/types.ts';
import { decodeAndInflate } from '../../../src/core/xml/encoding.ts';
import { NAMEID_FORMATS, NS } from '../../../src/core/xml/namespaces.ts';
import { childElements, parseXml } from '../../../src/core/xml/parse.ts';
import { verifyRedirectQuery } from '../../../src/core/xml/sign.ts';
import { buildConnection, buildSp, testKeyPair } from '../sp-fixtures.ts';
import { xmlsecVerify } from '../xmlsec.ts';

const NOW = new Date('2026-05-04T03:02:01.987Z');
const SP_CERTS = [testKeyPair('sp').certificatePem];

/** samlify as the IdP: it verifies our requests against the signing certificate in our SP metadata. */
function samlifyPair(sp: SpIdentity, connection: Connection) {
  const idp = samlify.IdentityProvider({
    entityID: connection.idpEntityId,
    signingCert: testKeyPair('idp').certificatePem,
    wantAuthnRequestsSigned: true,
    singleSignOnService: connection.ssoEndpoints.map((e) => ({
      Binding: BINDING_URIS[e.binding],
      Location: e.location,
    })),
  });
  const samlifySp = samlify.ServiceProvider({ metadata: buildSpMetadata(sp) });
  return { idp, samlifySp };
}

/** What an Express handler would give samlify for a redirect: decoded query values plus the raw signed octets. */
function redirectEnvelope(url: string) {
  const rawQuery = new URL(url).search.slice(1);
  const query = Object.fromEntries(new URLSearchParams(rawQuery));
  const octetString = rawQuery
    .split('&')
    .filter((p) => /^(SAMLRequest|RelayState|SigAlg)=/.test(p))
    .join('&');
  return { query, octetString, rawQuery };
}

beforeAll(() => {
  samlify.setSchemaValidator({ validate: async () => 'skipped' });
});

describe('buildAuthnRequest', () => {
  it('builds the minimal request Entra, ADFS and Keycloak all accept', () => {
    const sp = buildSp();
    const connection = buildConnection();
    const request = buildAuthnRequest({ sp, connection, binding: 'redirect', now: NOW });
    expect(request.id).toMatch(/^_[0-9a-f]{40}$/);
    expect(request.destination).toBe('https://idp.example.com/sso/redirect');
    const root = parseXml(request.xml).documentElement!;
    expect(`${root.namespaceURI}|${root.localName}`).toBe(`${NS.protocol}|AuthnRequest`);
    expect(root.getAttribute('ID')).toBe(request.id);
    expect(root.getAttribute('Version')).toBe('2.0');
    expect(root.getAttribute('IssueInstant')).toBe('2026-05-04T03:02:01Z');
    expect(root.getAttribute('Destination')).toBe(request.destination);
    expect(root.getAttribute('AssertionConsumerServiceURL')).toBe(sp.acsUrl);
    expect(root.getAttribute('ProtocolBinding')).toBe(BINDING_URIS.post);
    const children: string[] = [];
    for (let n = root.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) children.push(n.localName!);
    // No Subject (Entra rejects it), no RequestedAuthnContext, no NameIDPolicy unless asked for.
    expect(children).toEqual(['Issuer']);
    expect(childElements(root, NS.assertion, 'Issuer')[0]!.textContent).toBe(sp.entityId);
  });

  it('uses the POST endpoint for the POST binding, fresh IDs, and the connection SP entity ID override', () => {
    const connection = buildConnection({
      spEntityId: 'urn:acme:sp',
      requestedNameIdFormat: NAMEID_FORMATS.emailAddress,
    });
    const a = buildAuthnRequest({ sp: buildSp(), connection, binding: 'post', now: NOW });
    const b = buildAuthnRequest({ sp: buildSp(), connection, binding: 'post', now: NOW });
    expect(a.id).not.toBe(b.id);
    expect(a.destination).toBe('https://idp.example.com/sso/post');
    const root = parseXml(a.xml).documentElement!;
    expect(childElements(root, NS.assertion, 'Issuer')[0]!.textContent).toBe('urn:acme:sp');
    const [policy] = childElements(root, NS.protocol, 'NameIDPolicy');
    expect(policy!.getAttribute('Format')).toBe(NAMEID_FORMATS.emailAddress);
    expect(policy!.getAttribute('AllowCreate')).toBe('true');
  });

  it('refuses a binding the IdP lacks, a bad id, and a non-http endpoint', () => {
    const connection = buildConnection({ ssoEndpoints: [{ binding: 'post', location: 'https://idp/sso' }] });
    expect(() => buildAuthnRequest({ sp: buildSp(), connection, binding: 'redirect', now: NOW })).toThrow(
      expect.objectContaining({ code: 'SAML_CONNECTION_INVALID' }),
    );
    expect(() =>
      buildAuthnRequest({ sp: buildSp(), connection, binding: 'post', now: NOW, id: '1abc' }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    const hostile = buildConnection({ ssoEndpoints: [{ binding: 'post', location: 'javascript:alert(1)' }] });
    expect(() =>
      buildAuthnRequest({ sp: buildSp(), connection: hostile, binding: 'post', now: NOW }),
    ).toThrow(expect.objectContaining({ code: 'SAML_CONNECTION_INVALID' }));
  });
});

describe('chooseSsoBinding', () => {
  it('prefers HTTP-Redirect, then HTTP-POST', () => {
    expect(chooseSsoBinding(buildConnection())).toEqual({
      binding: 'redirect',
      location: 'https://idp.example.com/sso/redirect',
    });
    const postOnly = buildConnection({
      ssoEndpoints: [
        { binding: 'soap', location: 'https://idp.example.com/soap' },
        { binding: 'post', location: 'https://idp.example.com/sso/post' },
      ],
    });
    expect(chooseSsoBinding(postOnly)).toEqual({
      binding: 'post',
      location: 'https://idp.example.com/sso/post',
    });
  });

  it('fails with SAML_CONNECTION_INVALID and a hint when neither exists', () => {
    const soapOnly = buildConnection({
      ssoEndpoints: [{ binding: 'soap', location: 'https://idp.example.com/soap' }],
    });
    let error: unknown;
    try {
      chooseSsoBinding(soapOnly);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'SAML_CONNECTION_INVALID', details: { bindings: ['soap'] } });
    expect((error as { hint: string }).hint).toMatch(/metadata/);
  });
});

describe('HTTP-Redirect AuthnRequest', () => {
  it('is signed so that samlify (as IdP) and verifyRedirectQuery both accept it', async () => {
    const sp = buildSp();
    const connection = buildConnection();
    const request = buildAuthnRequest({ sp, connection, binding: 'redirect', now: NOW });
    const url = encodeRedirectRequest({ ...request, relayState: '/after login?x=1&y=ü', sp, connection });
    expect(url.startsWith('https://idp.example.com/sso/redirect?SAMLRequest=')).toBe(true);
    const { query, octetString, rawQuery } = redirectEnvelope(url);
    expect(Object.keys(query)).toEqual(['SAMLRequest', 'RelayState', 'SigAlg', 'Signature']);
    expect(decodeAndInflate(query.SAMLRequest!)).toBe(request.xml);

    const ours = verifyRedirectQuery(rawQuery, SP_CERTS, { allowSha1: false });
    expect(ours).toMatchObject({ ok: true, relayState: '/after login?x=1&y=ü' });

    const { idp, samlifySp } = samlifyPair(sp, connection);
    const parsed = await idp.parseLoginRequest(samlifySp, 'redirect', { query, octetString });
    expect(parsed.sigAlg).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    expect(parsed.extract.request).toMatchObject({ id: request.id, destination: request.destination });
    expect(parsed.extract.issuer).toBe(sp.entityId);
  });

  it('fails samlify verification when the request is swapped for another', async () => {
    const sp = buildSp();
    const connection = buildConnection();
    const one = encodeRedirectRequest({
      ...buildAuthnRequest({ sp, connection, binding: 'redirect', now: NOW }),
      sp,
      connection,
    });
    const two = encodeRedirectRequest({
      ...buildAuthnRequest({ sp, connection, binding: 'redirect', now: NOW }),
      sp,
      connection,
    });
    const a = redirectEnvelope(one);
    const b = redirectEnvelope(two);
    const forged = {
      query: { ...b.query, SAMLRequest: a.query.SAMLRequest! },
      octetString: b.octetString.replace(
        /^SAMLRequest=[^&]*/,
        `SAMLRequest=${encodeURIComponent(a.query.SAMLRequest!)}`,
      ),
    };
    const { idp, samlifySp } = samlifyPair(sp, connection);
    await expect(idp.parseLoginRequest(samlifySp, 'redirect', forged)).rejects.toThrow(/SIGNATURE/);
  });

  it('appends to a Location that already has a query string (Google ?idpid=)', () => {
    const sp = buildSp();
    const connection = buildConnection({
      ssoEndpoints: [
        { binding: 'redirect', location: 'https://accounts.google.com/o/saml2/idp?idpid=C01abc#frag' },
      ],
    });
    const request = buildAuthnRequest({ sp, connection, binding: 'redirect', now: NOW });
    const url = encodeRedirectRequest({ ...request, sp, connection });
    expect(url.startsWith('https://accounts.google.com/o/saml2/idp?idpid=C01abc&SAMLRequest=')).toBe(true);
    expect(url).not.toContain('#');
    const parsed = new URL(url);
    expect(parsed.searchParams.get('idpid')).toBe('C01abc');
    expect(verifyRedirectQuery(parsed.search, SP_CERTS, { allowSha1: false }).ok).toBe(true);
  });

  it('carries no SigAlg/Signature when the connection does not sign requests', () => {
    const sp = buildSp();
    const connection = buildConnection({ policy: { ...DEFAULT_POLICY, signAuthnRequests: false } });
    const request = buildAuthnRequest({ sp, connection, binding: 'redirect', now: NOW });
    const url = new URL(encodeRedirectRequest({ ...request, relayState: 'r', sp, connection }));
    expect([...url.searchParams.keys()]).toEqual(['SAMLRequest', 'RelayState']);
    expect(decodeAndInflate(url.searchParams.get('SAMLRequest')!)).toBe(request.xml);
  });
});

describe('HTTP-POST AuthnRequest', () => {
  it('is plain base64 of the XML, not deflated (regression: node-saml 5.1 deflates, SimpleSAMLphp cannot read it)', () => {
    const sp = buildSp();
    const connection = buildConnection();
    const request = buildAuthnRequest({ sp, connection, binding: 'post', now: NOW });
    const form = encodePostRequest({ ...request, relayState: 'state-1', sp, connection });
    expect(form.action).toBe('https://idp.example.com/sso/post');
    expect(form.fields.RelayState).toBe('state-1');
    const decoded = Buffer.from(form.fields.SAMLRequest, 'base64').toString('utf8');
    expect(decoded.startsWith('<')).toBe(true);
    expect(decoded).toContain(`ID="${request.id}"`);
  });

  it('carries an enveloped signature right after Issuer that xmlsec1 and samlify verify', async () => {
    const sp = buildSp();
    const connection = buildConnection();
    const request = buildAuthnRequest({ sp, connection, binding: 'post', now: NOW });
    const form = encodePostRequest({ ...request, relayState: 'state-1', sp, connection });
    const xml = Buffer.from(form.fields.SAMLRequest, 'base64').toString('utf8');
    const root = parseXml(xml).documentElement!;
    const children: string[] = [];
    for (let n = root.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) children.push(n.localName!);
    expect(children).toEqual(['Issuer', 'Signature']);

    const checked = await xmlsecVerify(xml, sp.signing.certificatePem, `${NS.protocol}:AuthnRequest`);
    expect(checked.ok, checked.output).toBe(true);

    const { idp, samlifySp } = samlifyPair(sp, connection);
    const parsed = await idp.parseLoginRequest(samlifySp, 'post', { body: form.fields });
    expect(parsed.extract.request).toMatchObject({ id: request.id, destination: request.destination });
  });

  it('step-up: ForceAuthn and a RequestedAuthnContext after NameIDPolicy, signed and verified by xmlsec1', async () => {
    const sp = buildSp();
    const connection = buildConnection({
      requestedNameIdFormat: NAMEID_FORMATS.emailAddress,
      policy: {
        ...DEFAULT_POLICY,
        requestedAuthnContext: {
          classRefs: ['http://schemas.microsoft.com/claims/multipleauthn', 'urn:a&b'],
          comparison: 'minimum',
        },
      },
    });
    const request = buildAuthnRequest({ sp, connection, binding: 'post', now: NOW, forceAuthn: true });
    const form = encodePostRequest({ ...request, sp, connection });
    const xml = Buffer.from(form.fields.SAMLRequest, 'base64').toString('utf8');
    const root = parseXml(xml).documentElement!;
    expect(root.getAttribute('ForceAuthn')).toBe('true');
    const children: string[] = [];
    for (let n = root.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) children.push(n.localName!);
    expect(children).toEqual(['Issuer', 'Signature', 'NameIDPolicy', 'RequestedAuthnContext']);
    const requested = childElements(root, NS.protocol, 'RequestedAuthnContext')[0]!;
    expect(requested.getAttribute('Comparison')).toBe('minimum');
    expect(childElements(requested, NS.assertion, 'AuthnContextClassRef').map((e) => e.textContent)).toEqual([
      'http://schemas.microsoft.com/claims/multipleauthn',
      'urn:a&b',
    ]);
    const checked = await xmlsecVerify(xml, sp.signing.certificatePem, `${NS.protocol}:AuthnRequest`);
    expect(checked.ok, checked.output).toBe(true);
    // An ordinary request stays minimal.
    expect(
      buildAuthnRequest({ sp, connection: buildConnection(), binding: 'post', now: NOW }).xml,
    ).not.toMatch(/ForceAuthn|RequestedAuthnContext/);
  });

  it('is refused by samlify once the signed XML is altered', async () => {
    const sp = buildSp();
    const connection = buildConnection();
    const request = buildAuthnRequest({ sp, connection, binding: 'post', now: NOW });
    const form = encodePostRequest({ ...request, sp, connection });
    const xml = Buffer.from(form.fields.SAMLRequest, 'base64').toString('utf8');
    const altered = xml.replace(sp.acsUrl, 'https://evil.example.com/acs');
    expect(altered).not.toBe(xml);
    const { idp, samlifySp } = samlifyPair(sp, connection);
    await expect(
      idp.parseLoginRequest(samlifySp, 'post', {
        body: { SAMLRequest: Buffer.from(altered).toString('base64') },
      }),
    ).rejects.toThrow(/SIGNATURE/);
  });

  it('is unsigned when the connection does not sign requests', () => {
    const connection = buildConnection({ policy: { ...DEFAULT_POLICY, signAuthnRequests: false } });
    const request = buildAuthnRequest({ sp: buildSp(), connection, binding: 'post', now: NOW });
    const form = encodePostRequest({ ...request, sp: buildSp(), connection });
    expect(Buffer.from(form.fields.SAMLRequest, 'base64').toString('utf8')).toBe(request.xml);
    expect(form.fields).not.toHaveProperty('RelayState');
  });
});
