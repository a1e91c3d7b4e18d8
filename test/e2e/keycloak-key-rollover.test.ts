/**
 * Issue #15 (item 5 and Done when): an SP signing key rollover against a real Keycloak with zero failed
 * sign-ins. A Keycloak SAML client is created as an admin creates one (admin REST API, the SP's active signing
 * certificate on its Keys tab, "Client signature required" on by Keycloak's default), and the SP's key goes
 * next -> active -> retired with a full browser sign-in before and after every step.
 *
 * At the `next` stage Keycloak is given the new certificate through its admin REST API. A Keycloak client
 * holds one pinned signing certificate (`saml.signing.certificate`), so pinning the new one alone would refuse
 * the requests the still-active key signs; instead the client is switched to read the SP's signing
 * certificates from the SP metadata URL (`saml.useMetadataDescriptorUrl`, Keycloak 22+), which publishes the
 * next certificate beside the active one. Keycloak's fetch of that URL is what clears the SP's
 * `sp-key-next-not-fetched` lint, and the test checks that too.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REALM } from '../../dev-idp/runner/realm.ts';
import { certificateBase64 } from '../../src/core/keys.ts';
import { verifyRedirectQuery } from '../../src/core/xml/sign.ts';
import { connectionFromMetadata } from '../../src/sp/connections.ts';
import {
  type E2eSp,
  keycloakAdminHeaders,
  launchChromium,
  me,
  startSp,
  submitKeycloakLogin,
  USERS,
} from './helpers.ts';

const CONNECTION = 'kc-rollover';
let sp: E2eSp;
let browser: Browser;
let clientsUrl: string;
let clientUuid: string;

/** Changes attributes of the Keycloak client through the admin REST API (GET, merge, PUT). */
async function updateClientAttributes(attributes: Record<string, string>): Promise<void> {
  const current = (await (
    await fetch(`${clientsUrl}/${clientUuid}`, { headers: await keycloakAdminHeaders() })
  ).json()) as { attributes: Record<string, string> };
  const response = await fetch(`${clientsUrl}/${clientUuid}`, {
    method: 'PUT',
    headers: await keycloakAdminHeaders(),
    body: JSON.stringify({ ...current, attributes: { ...current.attributes, ...attributes } }),
  });
  expect(response.status).toBe(204);
}

/**
 * A complete SP-initiated sign-in in a fresh browser (Keycloak must verify a new signed AuthnRequest and show
 * its login form); returns whether /me shows alice, and the AuthnRequest URL the SP sent.
 */
async function signInOnce(): Promise<{ ok: boolean; request: URL | undefined; detail: string }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  let request: URL | undefined;
  page.on('request', (r) => {
    if (r.url().includes('SAMLRequest=')) request = new URL(r.url());
  });
  try {
    await page.goto(`${sp.baseUrl}/saml/${CONNECTION}/login?returnTo=/me`);
    await submitKeycloakLogin(page, USERS.alice);
    await page.waitForURL(`${sp.baseUrl}/me`, { timeout: 30_000 });
    // A client made with the console defaults sends the username as NameID and no attributes.
    const { status, body } = await me(context, sp);
    const ok = status === 200 && body.connectionId === CONNECTION && body.nameId === USERS.alice.username;
    return { ok, request, detail: `${status} ${JSON.stringify(body)}` };
  } catch (error) {
    return { ok: false, request, detail: `${page.url()}: ${String(error)}` };
  } finally {
    await context.close();
  }
}

function signedWith(request: URL | undefined, certificatePem: string): boolean {
  if (!request) return false;
  return verifyRedirectQuery(request.search.slice(1), [certificatePem], { allowSha1: false }).ok;
}

beforeAll(async () => {
  sp = await startSp();
  browser = await launchChromium();
  const kc = inject('keycloak');
  const spEntityId = `${sp.baseUrl}/saml/${CONNECTION}`;
  const identity = sp.server.sp.spIdentity({ id: CONNECTION, spEntityId });
  clientsUrl = `${kc.keycloakUrl}/admin/realms/${REALM}/clients`;
  const created = await fetch(clientsUrl, {
    method: 'POST',
    headers: await keycloakAdminHeaders(),
    body: JSON.stringify({
      clientId: spEntityId,
      name: 'saml-sp-kit: connection kc-rollover (SP key rollover)',
      protocol: 'saml',
      redirectUris: [identity.acsUrl],
      attributes: {
        saml_assertion_consumer_url_post: identity.acsUrl,
        saml_single_logout_service_url_redirect: identity.sloUrl,
        'saml.signing.certificate': certificateBase64(identity.signing.certificatePem),
      },
    }),
  });
  expect(created.status).toBe(201);
  clientUuid = (created.headers.get('location') ?? '').split('/').pop() ?? '';
  await sp.server.stores.connections.put(
    connectionFromMetadata(
      { id: CONNECTION, metadataXml: kc.descriptorXml, preset: 'keycloak', spEntityId },
      new Date(),
    ),
  );
});

afterAll(async () => {
  if (clientUuid)
    await fetch(`${clientsUrl}/${clientUuid}`, { method: 'DELETE', headers: await keycloakAdminHeaders() });
  await browser?.close();
  await sp?.close();
});

describe('SP signing key rollover against Keycloak', () => {
  it('signs in before, during and after next -> active -> retired with zero failures', async () => {
    const ring = sp.server.keyRing;
    const failures: string[] = [];
    const signInAt = async (stage: string) => {
      const outcome = await signInOnce();
      if (!outcome.ok) failures.push(`${stage}: ${outcome.detail}`);
      return outcome;
    };
    const oldKey = await ring.get('file-signing');

    const before = await signInAt('before');
    expect(signedWith(before.request, oldKey.certificatePem)).toBe(true);

    // next: published in the metadata, not used yet. Keycloak is given it through its admin REST API.
    const next = await ring.generate({ use: 'signing' });
    expect(next.state).toBe('next');
    const lint = async () => (await ring.lint(CONNECTION)).map((w) => w.id);
    expect(await lint()).toContain('sp-key-next-not-fetched');
    await signInAt('next added');
    await updateClientAttributes({
      'saml.useMetadataDescriptorUrl': 'true',
      'saml.metadataDescriptorUrl': `${sp.baseUrl}/saml/${CONNECTION}/metadata`,
    });
    const during = await signInAt('next given to Keycloak');
    expect(signedWith(during.request, oldKey.certificatePem)).toBe(true);
    // Keycloak fetched the SP metadata (with the next certificate) to verify that request: the lint sees it.
    expect(await lint()).not.toContain('sp-key-next-not-fetched');

    // active: the new key signs; the old one is still published until retired.
    await ring.promote(next.id);
    const promoted = await signInAt('promoted');
    expect(signedWith(promoted.request, next.certificatePem)).toBe(true);
    expect(signedWith(promoted.request, oldKey.certificatePem)).toBe(false);
    await signInAt('promoted, again');

    // retired: gone from the metadata, never used.
    await ring.retire(oldKey.id);
    expect((await ring.get(oldKey.id)).state).toBe('retired');
    const metadata = await (await fetch(`${sp.baseUrl}/saml/${CONNECTION}/metadata`)).text();
    expect(metadata).not.toContain(certificateBase64(oldKey.certificatePem));
    const after = await signInAt('old retired');
    expect(signedWith(after.request, next.certificatePem)).toBe(true);
    await signInAt('old retired, again');

    expect(failures).toEqual([]);
  }, 300_000);
});
