import { beforeEach, describe, expect, it } from 'vitest';
import { LOGOUT_STATUS } from '../../src/core/logout/logout-response.ts';
import { validateLogoutResponse } from '../../src/core/logout/validate-logout.ts';
import type { NameId } from '../../src/core/types.ts';
import { decodeAndInflate } from '../../src/core/xml/encoding.ts';
import { verifyRedirectQuery } from '../../src/core/xml/sign.ts';
import { LogoutService, logoutRequestScope } from '../../src/sp/logout-service.ts';
import { ServiceProvider } from '../../src/sp/service-provider.ts';
import { newToken, tokenKey } from '../../src/sp/tokens.ts';
import { createMemoryStores } from '../../src/store/memory/index.ts';
import type { Stores } from '../../src/store/types.ts';
import {
  IDP_SLO_URL,
  incoming,
  logoutConnection,
  logoutRequestXml,
  logoutResponseXml,
  SP_SLO_URL,
} from '../fixtures/build-logout.ts';
import { buildConnection, FIXED_NOW, idpCertificate, testKey } from '../fixtures/build-response.ts';

const EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const spKey = testKey('sp');
const keys = {
  signing: { privateKeyPem: spKey.keyPem, certificatePem: spKey.certPem },
  encryption: { privateKeyPem: spKey.keyPem, certificatePem: spKey.certPem },
};

let stores: Stores;
let sp: ServiceProvider;
let logout: LogoutService;

beforeEach(async () => {
  stores = createMemoryStores();
  sp = new ServiceProvider({
    baseUrl: 'https://sp.example.com',
    entityId: 'https://sp.example.com',
    keys,
    stores,
    now: () => FIXED_NOW,
  });
  logout = new LogoutService(sp);
  await stores.connections.put(logoutConnection());
});

/** A live session for `nameId`; returns its cookie token. */
async function session(nameId: NameId, sessionIndex?: string, connectionId = 'acme'): Promise<string> {
  const token = newToken();
  await stores.sessions.create({
    id: tokenKey(token),
    userId: `u-${nameId.value}`,
    connectionId,
    nameId,
    ...(sessionIndex ? { sessionIndex } : {}),
    createdAt: FIXED_NOW,
    expiresAt: new Date(FIXED_NOW.getTime() + 3600_000),
  });
  return token;
}

const alive = async (token: string) => (await stores.sessions.get(tokenKey(token), FIXED_NOW)) !== undefined;

describe('startLogout', () => {
  it('ends the session and returns a signed LogoutRequest bound to the browser, outside the ACS scope', async () => {
    const token = await session(
      { value: 'alice@example.com', format: EMAIL, spNameQualifier: 'https://sp.example.com' },
      '_idx1',
    );
    const start = await logout.startLogout({ sessionToken: token, returnTo: '/bye', browserKey: 'bk1' });
    expect(await alive(token)).toBe(false);
    if (start.kind !== 'slo' || start.message.binding !== 'redirect')
      throw new Error(`unexpected ${start.kind}`);
    const query = start.message.url.split('?')[1]!;
    const verified = verifyRedirectQuery(query, [spKey.certPem], { allowSha1: false });
    expect(verified.ok).toBe(true);
    const xml = decodeAndInflate(verified.message.value);
    expect(xml).toContain(`Destination="${IDP_SLO_URL}"`);
    expect(xml).toContain(
      `<saml:NameID SPNameQualifier="https://sp.example.com" Format="${EMAIL}">alice@example.com</saml:NameID>`,
    );
    expect(xml).toContain('<samlp:SessionIndex>_idx1</samlp:SessionIndex>');
    expect(
      (await stores.requests.listForBrowser('bk1', logoutRequestScope('acme'), FIXED_NOW)).map(
        (r) => r.requestId,
      ),
    ).toEqual([start.requestId]);
    // An AuthnResponse can never answer it: the ACS lists the plain connection scope.
    expect(await stores.requests.listForBrowser('bk1', 'acme', FIXED_NOW)).toEqual([]);
  });

  it('is local only without an SLO endpoint, and a no-op without a session', async () => {
    await stores.connections.put(logoutConnection({ sloEndpoints: [] }));
    const token = await session({ value: 'alice@example.com' });
    expect(
      await logout.startLogout({ sessionToken: token, returnTo: 'https://evil.example/', browserKey: 'bk' }),
    ).toEqual({
      kind: 'local',
      returnTo: '/',
      connectionId: 'acme',
      reason: 'no-slo-endpoint',
    });
    expect(await alive(token)).toBe(false);
    expect(await logout.startLogout({ sessionToken: token, returnTo: '/x', browserKey: 'bk' })).toEqual({
      kind: 'no-session',
      returnTo: '/x',
    });
  });
});

describe('a LogoutResponse at the SLO endpoint', () => {
  async function started(browserKey = 'bk1') {
    const token = await session({ value: 'alice@example.com', format: EMAIL }, '_idx1');
    const start = await logout.startLogout({ sessionToken: token, returnTo: '/bye', browserKey });
    if (start.kind !== 'slo') throw new Error('slo expected');
    return start.requestId;
  }

  it('is matched to the request this browser sent, once', async () => {
    const requestId = await started();
    const message = incoming(logoutResponseXml({ inResponseTo: requestId }), 'SAMLResponse');
    const result = await logout.handleSloMessage('acme', { message, browserKey: 'bk1' });
    expect(result).toMatchObject({
      kind: 'logout-response',
      returnTo: '/bye',
      response: { outcome: 'success' },
    });
    await expect(logout.handleSloMessage('acme', { message, browserKey: 'bk1' })).rejects.toMatchObject({
      code: 'SAML_IN_RESPONSE_TO_UNKNOWN',
    });
  });

  it('from another browser is refused without burning the request', async () => {
    const requestId = await started('bk1');
    const message = incoming(logoutResponseXml({ inResponseTo: requestId }), 'SAMLResponse');
    await expect(logout.handleSloMessage('acme', { message, browserKey: 'bk2' })).rejects.toMatchObject({
      code: 'SAML_IN_RESPONSE_TO_UNKNOWN',
    });
    await expect(logout.handleSloMessage('acme', { message, browserKey: 'bk1' })).resolves.toMatchObject({
      kind: 'logout-response',
    });
  });

  it('reports a failure status as an outcome', async () => {
    const requestId = await started();
    const statusXml = `<samlp:Status><samlp:StatusCode Value="${LOGOUT_STATUS.responder}"/></samlp:Status>`;
    const message = incoming(logoutResponseXml({ inResponseTo: requestId, statusXml }), 'SAMLResponse', {
      binding: 'post',
    });
    const result = await logout.handleSloMessage('acme', { message, browserKey: 'bk1' });
    expect(result).toMatchObject({
      kind: 'logout-response',
      response: { outcome: 'failure', statusCodes: [LOGOUT_STATUS.responder] },
    });
  });

  it("accepts Entra's login.microsoftonline.com Issuer through the connection's logout alias", async () => {
    const entra = 'https://login.microsoftonline.com/tenant/';
    await stores.connections.put(logoutConnection({ policy: { logoutIssuerAliases: [entra] } }));
    const requestId = await started();
    const message = incoming(logoutResponseXml({ inResponseTo: requestId, issuer: entra }), 'SAMLResponse');
    await expect(logout.handleSloMessage('acme', { message, browserKey: 'bk1' })).resolves.toMatchObject({
      response: { issuer: entra },
    });
  });
});

describe('an IdP LogoutRequest at the SLO endpoint', () => {
  it('ends exactly the sessions that match NameID (with Format) and SessionIndex, in any browser', async () => {
    const alice = { value: 'alice@example.com', format: EMAIL };
    const a1 = await session(alice, '_idx1');
    const a2 = await session(alice, '_idx2');
    const a3 = await session(alice, '_idx3');
    const persistent = await session(
      { value: 'alice@example.com', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' },
      '_idx1',
    );
    const bob = await session({ value: 'bob@example.com', format: EMAIL }, '_idx1');
    const other = await session(alice, '_idx1', 'other-connection');
    const message = incoming(logoutRequestXml({ sessionIndexes: ['_idx1', '_idx2'] }), 'SAMLRequest', {
      relayState: 'rs',
    });
    const result = await logout.handleSloMessage('acme', { message });
    if (result.kind !== 'logout-request') throw new Error('logout-request expected');
    expect(result.outcome).toBe('success');
    expect(result.endedSessionIds.sort()).toEqual([tokenKey(a1), tokenKey(a2)].sort());
    expect(await alive(a1)).toBe(false);
    expect(await alive(a2)).toBe(false);
    for (const token of [a3, persistent, bob, other]) expect(await alive(token)).toBe(true);
    if (result.answer?.binding !== 'redirect') throw new Error('redirect answer expected');
    expect(result.answer.url.startsWith(`${IDP_SLO_URL}?SAMLResponse=`)).toBe(true);
    expect(new URL(result.answer.url).searchParams.get('RelayState')).toBe('rs');
  });

  it('answers PartialLogout when a session cannot be ended', async () => {
    const token = await session({ value: 'alice@example.com', format: EMAIL }, '_session1');
    stores.sessions.delete = async () => {
      throw new Error('database is down');
    };
    const result = await logout.handleSloMessage('acme', {
      message: incoming(logoutRequestXml(), 'SAMLRequest', { binding: 'soap' }),
    });
    if (result.kind !== 'logout-request' || result.answer?.binding !== 'soap')
      throw new Error('soap answer expected');
    expect(result.outcome).toBe('partial');
    expect(await alive(token)).toBe(true);
    // Read the answer as the IdP would: signed by the SP, Success / PartialLogout, no Destination needed.
    const asIdp = buildConnection({
      idpEntityId: 'https://sp.example.com',
      signingCertificates: [idpCertificate('sp')],
    });
    const read = validateLogoutResponse(
      { binding: 'soap', body: result.answer.body },
      {
        connection: asIdp,
        sp: { entityId: 'idp', sloUrl: IDP_SLO_URL },
        now: FIXED_NOW,
        expectedRequestIds: [result.request.id],
      },
    );
    expect(read.statusCodes).toEqual([LOGOUT_STATUS.success, LOGOUT_STATUS.partialLogout]);
  });

  it('refuses a replay, with the session it would end untouched', async () => {
    const message = incoming(logoutRequestXml(), 'SAMLRequest', { binding: 'post' });
    await logout.handleSloMessage('acme', { message });
    const token = await session({ value: 'alice@example.com', format: EMAIL }, '_session1');
    await expect(logout.handleSloMessage('acme', { message })).rejects.toMatchObject({
      code: 'SAML_REPLAYED',
    });
    expect(await alive(token)).toBe(true);
  });

  it('is answered over POST when it came over POST and the IdP offers POST', async () => {
    const result = await logout.handleSloMessage('acme', {
      message: incoming(logoutRequestXml(), 'SAMLRequest', { binding: 'post' }),
    });
    expect(result.kind === 'logout-request' && result.answer).toMatchObject({
      binding: 'post',
      action: IDP_SLO_URL,
    });
  });

  it('at the SLO URL of another connection is refused (Destination)', async () => {
    await stores.connections.put(logoutConnection({ id: 'other' }));
    await expect(
      logout.handleSloMessage('other', { message: incoming(logoutRequestXml(), 'SAMLRequest') }),
    ).rejects.toMatchObject({
      code: 'SAML_DESTINATION_MISMATCH',
      details: { expected: SP_SLO_URL.replace('/acme/', '/other/') },
    });
  });
});
