/**
 * The estate's apps as Keycloak clients (dev-idp/runner/estate-clients.ts), as the realm import gets them:
 * entity ID = the app's base URL, ACS/SLO of the app's `idp` connection, its own certificate trusted, every
 * security-relevant attribute written out, and one app told of logouts elsewhere through the browser, the other
 * server to server. The real Keycloak runs them in test/e2e/estate.test.ts.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withEstateClients } from '../../dev-idp/runner/estate-clients.ts';
import { estateKeyFiles } from '../../examples/estate/estate.ts';
import { certificateBase64 } from '../../src/core/keys.ts';

interface Client {
  clientId: string;
  frontchannelLogout: boolean;
  redirectUris: string[];
  attributes: Record<string, string>;
  protocolMappers: { name: string }[];
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-kit-estate-clients-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function render(env: NodeJS.ProcessEnv): Promise<Client[]> {
  const realm = JSON.stringify({ realm: 'saml-sp-kit', clients: [{ clientId: 'existing' }] });
  return (JSON.parse(await withEstateClients(realm, { CERTS_DIR: dir, ...env })) as { clients: Client[] })
    .clients;
}

describe('estate clients in the Keycloak realm', () => {
  it('adds website (front-channel) and billing (back-channel) after the existing clients', async () => {
    const clients = await render({});
    expect(clients.map((c) => c.clientId)).toEqual([
      'existing',
      'http://localhost:3001',
      'http://localhost:3002',
    ]);
    const [, website, billing] = clients as [Client, Client, Client];
    expect([website.frontchannelLogout, billing.frontchannelLogout]).toEqual([true, false]);
    for (const [client, name] of [
      [website, 'website'],
      [billing, 'billing'],
    ] as const) {
      const cert = readFileSync(estateKeyFiles(dir, name).cert, 'utf8');
      expect(client.redirectUris).toEqual([`${client.clientId}/saml/idp/acs`]);
      expect(client.attributes).toMatchObject({
        'saml.signing.certificate': certificateBase64(cert),
        'saml.client.signature': 'true',
        'saml.server.signature': 'true',
        'saml.assertion.signature': 'true',
        'saml.signature.algorithm': 'RSA_SHA256',
        'saml.authnstatement': 'true',
        saml_name_id_format: 'email',
        saml_assertion_consumer_url_post: `${client.clientId}/saml/idp/acs`,
        saml_single_logout_service_url_post: `${client.clientId}/saml/idp/slo`,
        saml_single_logout_service_url_redirect: `${client.clientId}/saml/idp/slo`,
      });
      expect(client.protocolMappers.map((m) => m.name)).toEqual(['email', 'firstName', 'lastName', 'groups']);
    }
  });

  it('follows the estate environment: ports, public host, and the same key files on a second render', async () => {
    const first = await render({ ESTATE_WEBSITE_PORT: '4001', ESTATE_PUBLIC_HOST: 'apps.test' });
    expect(first.slice(1).map((c) => c.clientId)).toEqual(['http://apps.test:4001', 'http://apps.test:3002']);
    const again = await render({});
    expect(again[1]?.attributes['saml.signing.certificate']).toBe(
      first[1]?.attributes['saml.signing.certificate'],
    );
    await expect(render({ ESTATE_BILLING_PORT: 'eighty' })).rejects.toThrow(/ESTATE_BILLING_PORT/);
  });
});
