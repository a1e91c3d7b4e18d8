/**
 * The Keycloak realm template, rendered: every client pairs with its SP connection (client ID = the SP entity ID
 * the connection presents, ACS/SLO URLs of that connection), and every security-relevant attribute is written out.
 * A realm import applies none of the defaults the admin console applies (measured on Keycloak 26.7.3: a client
 * imported without attributes signs nothing, sends no AuthnStatement and accepts unsigned requests), so nothing
 * may be left to a default. The real server runs these clients in test/e2e/.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KEYCLOAK_CONNECTIONS, REALM, renderRealm, spEntityIdFor } from '../../dev-idp/runner/realm.ts';
import { certificateBase64 } from '../../src/core/keys.ts';

const key = (name: string) => readFileSync(new URL(`../fixtures/keys/${name}`, import.meta.url), 'utf8');
const SP_CERT = key('sp.cert.pem');
const REALM_KEY = { privateKeyPem: key('idp.key.pem'), certificatePem: key('idp.cert.pem') };
const SP = { baseUrl: 'http://localhost:3000', entityId: 'https://sp.example.test/entity' };

interface Client {
  clientId: string;
  protocol: string;
  redirectUris: string[];
  frontchannelLogout: boolean;
  attributes: Record<string, string>;
  protocolMappers: { protocolMapper: string; config: Record<string, string> }[];
}
interface Realm {
  realm: string;
  clients: Client[];
  users: { username: string; id: string; credentials: { value: string }[]; groups: string[] }[];
  components: Record<string, { providerId: string; config: Record<string, string[]> }[]>;
}

async function render(): Promise<Realm> {
  const json = await renderRealm({
    spBaseUrl: `${SP.baseUrl}/`,
    spEntityId: SP.entityId,
    spSigningCertPem: SP_CERT,
    realmKey: REALM_KEY,
  });
  expect(json).not.toMatch(/\{\{/);
  return JSON.parse(json) as Realm;
}

describe('Keycloak realm template', () => {
  it('pairs each client with its SP connection', async () => {
    const realm = await render();
    expect(realm.realm).toBe(REALM);
    expect(realm.clients.map((c) => c.clientId)).toEqual(
      KEYCLOAK_CONNECTIONS.map((spec) => spEntityIdFor(spec, SP)),
    );
    expect(realm.clients[0]?.clientId).toBe(SP.entityId);
    for (const [i, spec] of KEYCLOAK_CONNECTIONS.entries()) {
      const client = realm.clients[i]!;
      const acs = `${SP.baseUrl}/saml/${spec.connectionId}/acs`;
      expect(client.protocol).toBe('saml');
      expect(client.redirectUris).toEqual([acs]);
      expect(client.attributes.saml_assertion_consumer_url_post).toBe(acs);
      expect(client.attributes.saml_idp_initiated_sso_url_name).toBe(spec.idpInitiatedName);
      for (const url of [
        client.attributes.saml_single_logout_service_url_post,
        client.attributes.saml_single_logout_service_url_redirect,
      ]) {
        if (url !== undefined) expect(url).toBe(`${SP.baseUrl}/saml/${spec.connectionId}/slo`);
      }
    }
  });

  it('spells out every security attribute: signed assertions, verified requests, SessionIndex, RSA-SHA256', async () => {
    const realm = await render();
    for (const client of realm.clients) {
      const a = client.attributes;
      expect(a['saml.assertion.signature'], client.clientId).toBe('true');
      expect(a['saml.server.signature'], client.clientId).toMatch(/^(true|false)$/);
      expect(a['saml.client.signature'], client.clientId).toBe('true');
      expect(a['saml.signing.certificate'], client.clientId).toBe(certificateBase64(SP_CERT));
      expect(a['saml.signature.algorithm']).toBe('RSA_SHA256');
      expect(a['saml.authnstatement']).toBe('true');
      expect(a['saml.force.post.binding']).toBe('true');
      expect(a.saml_force_name_id_format).toBe('true');
      expect(Number(a['saml.assertion.lifespan'])).toBeGreaterThanOrEqual(300);
      expect(client.frontchannelLogout).toBe(true);
    }
    const byId = Object.fromEntries(realm.clients.map((c, i) => [KEYCLOAK_CONNECTIONS[i]!.connectionId, c]));
    // Entra and AD FS sign only the assertion by default; Okta signs both.
    expect(byId['kc-entra']?.attributes['saml.server.signature']).toBe('false');
    expect(byId['kc-adfs']?.attributes['saml.server.signature']).toBe('false');
    expect(byId['kc-okta']?.attributes['saml.server.signature']).toBe('true');
    expect(byId['kc-entra']?.attributes.saml_name_id_format).toBe('email');
    expect(byId['kc-adfs']?.attributes.saml_name_id_format).toBe('persistent');
  });

  it('sends group names, not paths, and fixes the realm signing key and user ids', async () => {
    const realm = await render();
    const groupMappers = realm.clients.flatMap((c) =>
      c.protocolMappers.filter((m) => m.protocolMapper === 'saml-group-membership-mapper'),
    );
    expect(groupMappers).toHaveLength(4);
    for (const m of groupMappers) expect(m.config['full.path']).toBe('false');

    const rsa = realm.components['org.keycloak.keys.KeyProvider']?.find((p) => p.providerId === 'rsa');
    expect(rsa?.config.certificate).toEqual([certificateBase64(REALM_KEY.certificatePem)]);
    expect(rsa?.config.privateKey?.[0]).toMatch(/^MII[A-Za-z0-9+/=]+$/);

    expect(realm.users.map((u) => [u.username, u.credentials[0]?.value, u.groups])).toEqual([
      ['alice', 'alice-pass', ['/engineering', '/admins']],
      ['bob', 'bob-pass', ['/sales']],
    ]);
    expect(new Set(realm.users.map((u) => u.id)).size).toBe(2);
  });

  it('refuses a template with an unknown placeholder', async () => {
    await expect(
      renderRealm(
        { spBaseUrl: SP.baseUrl, spEntityId: SP.entityId, spSigningCertPem: SP_CERT, realmKey: REALM_KEY },
        '{"realm":"saml-sp-kit","x":"{{NOPE}}"}',
      ),
    ).rejects.toThrow(/unknown placeholder \{\{NOPE\}\}/);
  });
});
