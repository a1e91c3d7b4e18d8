/**
 * createDevIdp: resolves the options once, then wires samlify, the SP directory, the stores and the router.
 */
import type { Router } from 'express';
import { InvalidOptionError } from '../core/errors.ts';
import type { KeyPair } from '../core/types.ts';
import {
  type DevIdpLogoutDeps,
  type IdpLogoutDispatch,
  type LogoutResponseRecord,
  type LogoutUserOptions,
  logoutUser,
} from './logout.ts';
import { LOGOUT_PROPAGATIONS, LogoutChainStore, type LogoutPropagation } from './logout-propagation.ts';
import { buildIdpMetadata, type DevIdpIdentity, idpEndpoints, idpEntitySettings } from './metadata.ts';
import { buildLoginResponse, newSamlId, type ResponseIssuer, type ResponseOverrides } from './response.ts';
import { createDevIdpRouter } from './router.ts';
import { configuredSamlify, type DevIdpSignatureAlgorithm, SIGNATURE_ALGORITHMS } from './samlify.ts';
import { createServiceProviderDirectory, type ServiceProviderSource } from './service-providers.ts';
import { type IdpSession, IdpSessionStore, PendingRequestStore } from './sessions.ts';
import { DEV_IDP_USERS, type DevIdpUser, findUser } from './users.ts';

/** How to run the development IdP. */
export interface DevIdpOptions {
  /** Absolute URL where the router is mounted, e.g. http://localhost:3000/idp. The entityID is `${baseUrl}/metadata`. */
  baseUrl: string;
  /** The IdP's signing key and certificate. */
  signing: KeyPair;
  /** The accounts that can sign in (default DEV_IDP_USERS). */
  users?: readonly DevIdpUser[];
  /** SPs this IdP serves, as their SP metadata XML (samlify reads it: an independent parser); called on every lookup so SPs can be added later. */
  serviceProviders: ServiceProviderSource;
  /** Sign with this algorithm; default rsa-sha256 (NOT samlify's historical sha1 default). */
  signatureAlgorithm?: DevIdpSignatureAlgorithm;
  /** Lifetime of each assertion (Conditions and SubjectConfirmationData NotOnOrAfter), in seconds. Default 300. */
  assertionLifetimeSeconds?: number;
  /**
   * How a logout reaches the *other* SPs of the IdP session it ends (single logout across apps):
   * - 'front-channel' (default): through the browser, a chain of redirects or auto-posts, one SP after another,
   *   each answering back to the IdP's /slo; the SP that started it is answered last.
   * - 'back-channel': a SOAP LogoutRequest from the IdP to each other SP, server to server; then the answer.
   * - 'off': only the IdP session ends; other SPs keep their sessions until they expire.
   */
  logoutPropagation?: LogoutPropagation;
}

/** A running development IdP. */
export interface DevIdp {
  /** Mount with `app.use('/idp', idp.router)`, at the path of `baseUrl`. */
  router: Router;
  entityId: string;
  /** IdP metadata: SSO Redirect+POST, SLO Redirect+POST, signing cert, NameIDFormats, WantAuthnRequestsSigned=true. */
  metadataXml(): string;
  /**
   * IdP-initiated Single Logout: ends every IdP session of `username` and sends each SP that took part one
   * signed LogoutRequest naming the NameID and every SessionIndex it holds. Redirect and POST messages come back
   * for a browser to carry to the SP; SOAP ones are sent here (back channel, no cookie) and carry the SP's answer.
   * `dryRun` builds without ending or sending anything; `overrides` forge requests an SP must refuse.
   */
  logoutUser(username: string, options?: LogoutUserOptions): Promise<IdpLogoutDispatch[]>;
  /** The LogoutResponses SPs sent back (front channel and SOAP), oldest first. */
  logoutResponses(): readonly LogoutResponseRecord[];
  /** The live IdP sessions of a user (one per browser), with the SPs that took part in each. */
  sessionsOf(username: string): IdpSession[];
  /** Build a SAMLResponse (base64) for tests and for the login flow; overrides let tests forge bad responses. */
  issueResponse(input: {
    spEntityId: string;
    username: string;
    inResponseTo?: string;
    overrides?: ResponseOverrides;
  }): Promise<{ samlResponse: string; acsUrl: string }>;
}

/**
 * Creates the embedded development IdP, built on samlify so that signing in against it tests the SP against a
 * second, independent SAML implementation.
 *
 * @example
 * ```ts
 * const idp = createDevIdp({
 *   baseUrl: 'http://localhost:3000/idp',
 *   signing: { privateKeyPem, certificatePem },
 *   serviceProviders: async () => [await spMetadataXml()],
 * });
 * app.use('/idp', idp.router);
 * ```
 */
export function createDevIdp(options: DevIdpOptions): DevIdp {
  const identity = resolveIdentity(options);
  const issuer: ResponseIssuer = {
    identity,
    signatureAlgorithm: resolveAlgorithm(options.signatureAlgorithm),
    assertionLifetimeSeconds: resolveLifetime(options.assertionLifetimeSeconds),
  };
  if (typeof options.serviceProviders !== 'function') {
    throw new InvalidOptionError(
      'devIdp: serviceProviders must be a function returning SP metadata XML documents',
      'ERR_INVALID_ARG_TYPE',
    );
  }
  const propagationMode = resolvePropagation(options.logoutPropagation);
  const users = options.users ?? DEV_IDP_USERS;
  const directory = createServiceProviderDirectory(options.serviceProviders);
  const metadataXml = buildIdpMetadata(identity);
  const sessions = new IdpSessionStore();
  const logout: DevIdpLogoutDeps = {
    issuer,
    directory,
    sessions,
    read: {
      directory,
      // samlify verifies the SPs' logout messages: signatures are required in both directions.
      idp: configuredSamlify().IdentityProvider({
        ...idpEntitySettings(identity),
        wantLogoutRequestSigned: true,
        wantLogoutResponseSigned: true,
      }),
      sloUrl: idpEndpoints(identity.baseUrl).slo,
    },
    responses: [],
  };
  const router = createDevIdpRouter({
    issuer,
    metadataXml,
    users,
    requests: {
      directory,
      idp: configuredSamlify().IdentityProvider(idpEntitySettings(identity)),
      ssoUrl: idpEndpoints(identity.baseUrl).sso,
    },
    sessions,
    pending: new PendingRequestStore(),
    logout,
    propagation: { logout, mode: propagationMode, chains: new LogoutChainStore() },
  });

  return {
    router,
    entityId: identity.entityId,
    metadataXml: () => metadataXml,
    logoutUser: (username, options = {}) => logoutUser(logout, username, options, new Date()),
    logoutResponses: () => [...logout.responses],
    sessionsOf: (username) => sessions.sessionsOf(username, new Date()),
    async issueResponse({ spEntityId, username, inResponseTo, overrides }) {
      const sp = await directory.find(spEntityId);
      if (!sp)
        throw new InvalidOptionError(`devIdp.issueResponse: no SP with entityID ${spEntityId} is registered`);
      const user = findUser(users, username);
      if (!user) throw new InvalidOptionError(`devIdp.issueResponse: no user named ${username}`);
      const acsUrl = sp.acsUrls[0] as string;
      const samlResponse = await buildLoginResponse(issuer, {
        sp,
        user,
        acsUrl,
        sessionIndex: newSamlId(),
        ...(inResponseTo === undefined ? {} : { inResponseTo }),
        ...(overrides === undefined ? {} : { overrides }),
      });
      return { samlResponse, acsUrl };
    },
  };
}

function resolveIdentity(options: DevIdpOptions): DevIdpIdentity {
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch {
    throw new InvalidOptionError(
      `devIdp: baseUrl must be an absolute URL, got ${JSON.stringify(options.baseUrl)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError(`devIdp: baseUrl must be http(s), got ${options.baseUrl}`);
  }
  if (url.search || url.hash)
    throw new InvalidOptionError('devIdp: baseUrl must not carry a query or fragment');
  const { privateKeyPem, certificatePem } = options.signing ?? {};
  if (!privateKeyPem?.includes('PRIVATE KEY') || !certificatePem?.includes('CERTIFICATE')) {
    throw new InvalidOptionError('devIdp: signing must hold a PEM private key and a PEM certificate');
  }
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  return { baseUrl, entityId: `${baseUrl}/metadata`, signing: { privateKeyPem, certificatePem } };
}

function resolveAlgorithm(value: DevIdpSignatureAlgorithm | undefined): DevIdpSignatureAlgorithm {
  if (value === undefined) return 'rsa-sha256';
  if (!Object.hasOwn(SIGNATURE_ALGORITHMS, value)) {
    throw new InvalidOptionError(
      `devIdp: signatureAlgorithm must be rsa-sha256 or rsa-sha1, got ${String(value)}`,
    );
  }
  return value;
}

function resolvePropagation(value: LogoutPropagation | undefined): LogoutPropagation {
  if (value === undefined) return 'front-channel';
  if (!LOGOUT_PROPAGATIONS.includes(value)) {
    throw new InvalidOptionError(
      `devIdp: logoutPropagation must be one of ${LOGOUT_PROPAGATIONS.join(', ')}, got ${String(value)}`,
    );
  }
  return value;
}

function resolveLifetime(value: number | undefined): number {
  if (value === undefined) return 300;
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(
      `devIdp: assertionLifetimeSeconds must be a positive number, got ${String(value)}`,
    );
  }
  return value;
}
