/**
 * The estate's shape, shared by the runner (main.ts), the Keycloak realm (dev-idp/runner/estate-clients.ts)
 * and the tests: which apps there are, their default ports, and where each app keeps its SAML key pair.
 */
import path from 'node:path';
import { type KeyPair, loadOrCreateKeyPair } from 'saml-sp-kit';
import { z } from 'zod';

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

const portVar = z.coerce.number().int().min(1).max(65535).optional();

/** The estate's environment variables (main.ts documents them), validated once at start-up. */
export const EstateEnv = z.object({
  ESTATE_LOGOUT: z.enum(['front-channel', 'back-channel']).optional(),
  ESTATE_IDP_METADATA_URL: z.url({ protocol: /^https?$/ }).optional(),
  ESTATE_IDP_PORT: portVar,
  ESTATE_WEBSITE_PORT: portVar,
  ESTATE_BILLING_PORT: portVar,
  ESTATE_HOST: z.string().min(1).optional(),
  ESTATE_PUBLIC_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$/)
    .optional(),
  /** Run only these apps, comma-separated (one container per app); default every app. */
  ESTATE_APPS: z
    .string()
    .transform((list) => list.split(',').map((name) => name.trim()))
    .pipe(z.array(z.enum(ESTATE_APPS.map((a) => a.name) as [string, ...string[]])).min(1))
    .optional(),
  CERTS_DIR: z.string().min(1).default('certs'),
});
export type EstateEnvValues = z.infer<typeof EstateEnv>;

/** The ports the environment asks for, by app name and `idp` (unset ones take the defaults). */
export function estatePorts(env: EstateEnvValues): Partial<Record<string, number>> {
  return { idp: env.ESTATE_IDP_PORT, website: env.ESTATE_WEBSITE_PORT, billing: env.ESTATE_BILLING_PORT };
}
