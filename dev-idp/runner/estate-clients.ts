/**
 * The estate's apps (examples/estate: `website` and `billing`) as SAML clients of the Keycloak realm: one
 * client per app, its entity ID being the app's base URL, its ACS and SLO at /saml/idp/acs and /saml/idp/slo,
 * trusting the app's own signing certificate. Keycloak's session gives single sign-on between them; when the
 * user signs out of one, Keycloak tells the other through the browser (`website`: front-channel) or server to
 * server (`billing`: back-channel, a form POST to its SLO URL), as ESTATE_APPS says.
 *
 * The clients are added to the rendered realm (`npm run keycloak`), and the e2e tests create the same JSON
 * through the admin API for apps on free ports.
 */
import {
  ESTATE_APPS,
  type EstateAppSpec,
  EstateEnv,
  estatePorts,
  loadEstateKeys,
} from '../../examples/estate/estate.ts';
import { certificateBase64 } from '../../src/core/keys.ts';

/** One estate app as Keycloak must know it. */
export interface EstateClientInput {
  spec: EstateAppSpec;
  /** The app's base URL (also its SP entity ID), e.g. http://localhost:3001. */
  baseUrl: string;
  /** The app's signing certificate (PEM). */
  signingCertPem: string;
}

type Mapper = { name: string; protocol: 'saml'; protocolMapper: string; config: Record<string, string> };

function property(name: string, userAttribute: string): Mapper {
  return {
    name,
    protocol: 'saml',
    protocolMapper: 'saml-user-property-mapper',
    config: { 'user.attribute': userAttribute, 'attribute.name': name, 'attribute.nameformat': 'Basic' },
  };
}

/** The Keycloak ClientRepresentation of one estate app (realm import and admin API take the same JSON). */
export function estateClient(input: EstateClientInput): Record<string, unknown> {
  const base = input.baseUrl.replace(/\/+$/, '');
  const slo = `${base}/saml/idp/slo`;
  return {
    clientId: base,
    name: `saml-sp-kit estate: ${input.spec.name}`,
    description: `examples/estate app "${input.spec.name}"; told of logouts elsewhere over the ${input.spec.keycloakLogout}.`,
    protocol: 'saml',
    enabled: true,
    frontchannelLogout: input.spec.keycloakLogout === 'front-channel',
    fullScopeAllowed: false,
    defaultClientScopes: [],
    optionalClientScopes: [],
    baseUrl: `${base}/`,
    redirectUris: [`${base}/saml/idp/acs`],
    attributes: {
      'saml.server.signature': 'true',
      'saml.assertion.signature': 'true',
      'saml.signature.algorithm': 'RSA_SHA256',
      saml_signature_canonicalization_method: 'http://www.w3.org/2001/10/xml-exc-c14n#',
      'saml.server.signature.keyinfo.ext': 'false',
      'saml.client.signature': 'true',
      'saml.signing.certificate': certificateBase64(input.signingCertPem),
      'saml.encrypt': 'false',
      'saml.force.post.binding': 'true',
      'saml.authnstatement': 'true',
      saml_name_id_format: 'email',
      saml_force_name_id_format: 'true',
      'saml.assertion.lifespan': '600',
      saml_assertion_consumer_url_post: `${base}/saml/idp/acs`,
      saml_single_logout_service_url_post: slo,
      saml_single_logout_service_url_redirect: slo,
    },
    protocolMappers: [
      property('email', 'email'),
      property('firstName', 'firstName'),
      property('lastName', 'lastName'),
      {
        name: 'groups',
        protocol: 'saml',
        protocolMapper: 'saml-group-membership-mapper',
        config: {
          'attribute.name': 'groups',
          'attribute.nameformat': 'Basic',
          single: 'true',
          'full.path': 'false',
        },
      },
    ],
  };
}

/**
 * Adds the estate's clients to a rendered realm, for the apps as `npm run estate` runs them with the same
 * environment: http://localhost:3001 and :3002 unless ESTATE_PUBLIC_HOST / ESTATE_*_PORT say otherwise, with
 * the key pairs the apps keep under CERTS_DIR (created here when missing, exactly as the apps would).
 */
export async function withEstateClients(realmJson: string, env: NodeJS.ProcessEnv): Promise<string> {
  const parsed = EstateEnv.safeParse(env);
  if (!parsed.success)
    throw new Error(
      `estate clients: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const ports = estatePorts(parsed.data);
  const host = parsed.data.ESTATE_PUBLIC_HOST ?? 'localhost';
  const realm = JSON.parse(realmJson) as { clients?: unknown[] };
  const clients = [];
  for (const spec of ESTATE_APPS) {
    const keys = await loadEstateKeys(parsed.data.CERTS_DIR, spec.name);
    const baseUrl = `http://${host}:${ports[spec.name] ?? spec.defaultPort}`;
    clients.push(estateClient({ spec, baseUrl, signingCertPem: keys.certificatePem }));
  }
  realm.clients = [...(realm.clients ?? []), ...clients];
  return `${JSON.stringify(realm, null, 2)}\n`;
}
