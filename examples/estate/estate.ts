/**
 * The estate's shape, shared by the runner (main.ts), the Keycloak realm (dev-idp/runner/estate-clients.ts)
 * and the tests: which apps there are, their default ports, and where each app keeps its SAML key pair.
 */
import path from 'node:path';
import { type KeyPair, loadOrCreateKeyPair } from '../../src/index.ts';

export interface EstateAppSpec {
  /** Short name: the session cookie is `${name}_session`, the key files `estate-${name}.*.pem`. */
  name: string;
  title: string;
  defaultPort: number;
  /**
   * How Keycloak tells this app about a logout started at another app: through the browser ('front-channel')
   * or server to server ('back-channel'). The two apps differ so that each logout exercises one of them.
   */
  keycloakLogout: 'front-channel' | 'back-channel';
}

/** The apps of the estate. */
export const ESTATE_APPS: readonly EstateAppSpec[] = Object.freeze([
  { name: 'website', title: 'Website', defaultPort: 3001, keycloakLogout: 'front-channel' },
  { name: 'billing', title: 'Billing', defaultPort: 3002, keycloakLogout: 'back-channel' },
]);

/** The embedded IdP's default port (the apps follow it). */
export const ESTATE_IDP_PORT = 3000;

/** Where an app keeps its signing key and certificate under the certs folder (CERTS_DIR, default certs/). */
export function estateKeyFiles(certsDir: string, name: string): { key: string; cert: string } {
  return {
    key: path.join(certsDir, `estate-${name}.key.pem`),
    cert: path.join(certsDir, `estate-${name}.cert.pem`),
  };
}

/** An app's key pair, generated on first use, so that an IdP configured with its certificate keeps trusting it. */
export async function loadEstateKeys(certsDir: string, name: string): Promise<KeyPair> {
  const { pair } = await loadOrCreateKeyPair(estateKeyFiles(certsDir, name), `saml-sp-kit estate: ${name}`);
  return pair;
}
