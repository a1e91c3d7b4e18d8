/**
 * The Keycloak realm for local development and the end-to-end tests, rendered from
 * dev-idp/keycloak/realm-template.json. The template is a plain Keycloak realm import with placeholders for what
 * differs per checkout: the SP's base URL and entity ID, the SP signing certificate (generated per checkout,
 * so it cannot be committed) and the realm's own signing key (generated per checkout too, so the SP's trust in
 * Keycloak survives Keycloak restarts and re-imports).
 */
import { readFile } from 'node:fs/promises';
import { certificateBase64 } from '../../src/core/keys.ts';
import type { PresetName } from '../../src/core/types.ts';

export const REALM = 'saml-sp-kit';
export const TEMPLATE_FILE = new URL('../keycloak/realm-template.json', import.meta.url);

/** One SAML client of the realm and the SP connection that pairs with it. */
export interface KeycloakConnectionSpec {
  /** The SP connection id; the client's ACS and SLO URLs are BASE_URL/saml/<connectionId>/acs and /slo. */
  connectionId: string;
  displayName: string;
  preset: PresetName;
  /** The client's IdP-initiated SSO URL name: /realms/<realm>/protocol/saml/clients/<name>. */
  idpInitiatedName: string;
  /**
   * True when the connection has its own SP entity ID (BASE_URL/saml/<connectionId>): Keycloak identifies a
   * client by the AuthnRequest Issuer, so each client needs a distinct one.
   */
  ownEntityId: boolean;
}

/** The realm's clients, in template order. `keycloak` is the main one; the others imitate vendors' defaults. */
export const KEYCLOAK_CONNECTIONS: readonly KeycloakConnectionSpec[] = Object.freeze([
  {
    connectionId: 'keycloak',
    displayName: 'Keycloak',
    preset: 'keycloak',
    idpInitiatedName: 'sp-kit',
    ownEntityId: false,
  },
  {
    connectionId: 'kc-entra',
    displayName: 'Keycloak imitating Entra ID',
    preset: 'entra',
    idpInitiatedName: 'kc-entra',
    ownEntityId: true,
  },
  {
    connectionId: 'kc-adfs',
    displayName: 'Keycloak imitating AD FS',
    preset: 'adfs',
    idpInitiatedName: 'kc-adfs',
    ownEntityId: true,
  },
  {
    connectionId: 'kc-okta',
    displayName: 'Keycloak imitating Okta',
    preset: 'okta',
    idpInitiatedName: 'kc-okta',
    ownEntityId: true,
  },
]);

/** The SP entity ID a connection presents to Keycloak (its client ID there). */
export function spEntityIdFor(
  spec: KeycloakConnectionSpec,
  sp: { baseUrl: string; entityId: string },
): string {
  return spec.ownEntityId ? `${sp.baseUrl}/saml/${spec.connectionId}` : sp.entityId;
}

export interface RealmValues {
  /** The SP's external base URL, without a trailing slash (BASE_URL). */
  spBaseUrl: string;
  /** The SP's entity ID (SP_ENTITY_ID, by default BASE_URL): the client ID of the main client. */
  spEntityId: string;
  /** The SP signing certificate (PEM): Keycloak verifies signed AuthnRequests and LogoutRequests with it. */
  spSigningCertPem: string;
  /** The realm's signing key pair (PEM), so that its certificate stays the same across restarts. */
  realmKey: { privateKeyPem: string; certificatePem: string };
}

/**
 * Renders the realm JSON. Every placeholder must be filled and the result must parse, else it throws:
 * Keycloak's importer would otherwise skip or half-import a broken file with only a log line.
 *
 * @example
 * ```ts
 * const json = await renderRealm({ spBaseUrl: 'http://localhost:3000', spEntityId: 'http://localhost:3000', spSigningCertPem, realmKey });
 * ```
 */
export async function renderRealm(values: RealmValues, template?: string): Promise<string> {
  const text = template ?? (await readFile(TEMPLATE_FILE, 'utf8'));
  const baseUrl = values.spBaseUrl.replace(/\/+$/, '');
  const replacements: Record<string, string> = {
    SP_BASE_URL: baseUrl,
    SP_ENTITY_ID: values.spEntityId,
    SP_SIGNING_CERT: certificateBase64(values.spSigningCertPem),
    REALM_PRIVATE_KEY: pemBody(values.realmKey.privateKeyPem, 'PRIVATE KEY'),
    REALM_CERT: certificateBase64(values.realmKey.certificatePem),
  };
  const rendered = text.replace(/\{\{([A-Z_]+)\}\}/g, (whole, name: string) => {
    const value = replacements[name];
    if (value === undefined) throw new Error(`realm template: unknown placeholder ${whole}`);
    // Inside a JSON string literal: escape as JSON does.
    return JSON.stringify(value).slice(1, -1);
  });
  const realm = JSON.parse(rendered) as { realm?: unknown };
  if (realm.realm !== REALM)
    throw new Error(`realm template: expected realm "${REALM}", found ${String(realm.realm)}`);
  return `${JSON.stringify(realm, null, 2)}\n`;
}

/** The base64 body of a PEM block (Keycloak's rsa key provider takes the key without header lines). */
function pemBody(pem: string, label: string): string {
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(pem);
  if (!match?.[1]) throw new Error(`expected a PEM "${label}" block`);
  return match[1].replace(/\s+/g, '');
}
