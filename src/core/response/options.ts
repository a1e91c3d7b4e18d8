/**
 * The options of validateResponse, checked once: integrator mistakes (a bad Date, a NaN skew) are
 * InvalidOptionErrors; a connection that cannot work (no entity ID, no certificate) is a
 * SAML_CONNECTION_INVALID for the admin.
 */
import { type TrustedCertificate, trustedCertificate } from '../crypto/key-cache.ts';
import { InvalidOptionError, SamlSpError } from '../errors.ts';
import {
  type Connection,
  type ConnectionPolicy,
  DEFAULT_POLICY,
  type SignatureRequirement,
} from '../types.ts';
import { DEFAULT_MAX_XML_BYTES, DEFAULT_MAX_XML_DEPTH, MAX_XML_DEPTH_LIMIT } from '../xml/parse.ts';
import type { Clock } from './timing.ts';
import type { ValidateResponseOptions } from './validate-response.ts';

const REQUIREMENTS: readonly SignatureRequirement[] = [
  'assertion',
  'response-or-assertion',
  'response-and-assertion',
];

/** The checked options, with the policy completed from the defaults. */
export interface ResolvedOptions {
  connection: Connection;
  sp: ValidateResponseOptions['sp'];
  policy: ConnectionPolicy;
  maxBytes: number;
  maxDepth: number;
  clock: Clock;
}

/**
 * Checks the options of validateResponse and fills policy gaps from DEFAULT_POLICY.
 *
 * @example
 * ```ts
 * const { policy, clock } = resolveOptions(options);
 * ```
 */
export function resolveOptions(options: ValidateResponseOptions): ResolvedOptions {
  if (!options || typeof options !== 'object')
    throw new InvalidOptionError('validateResponse: options are required.', 'ERR_INVALID_ARG_TYPE');
  const { connection, sp, now } = options;
  if (!connection || typeof connection.idpEntityId !== 'string') {
    throw new InvalidOptionError(
      'validateResponse: options.connection must be a Connection.',
      'ERR_INVALID_ARG_TYPE',
    );
  }
  if (!sp || typeof sp.entityId !== 'string' || !sp.entityId || typeof sp.acsUrl !== 'string' || !sp.acsUrl) {
    throw new InvalidOptionError('validateResponse: options.sp needs a non-empty entityId and acsUrl.');
  }
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new InvalidOptionError(
      'validateResponse: options.now must be a valid Date.',
      'ERR_INVALID_ARG_TYPE',
    );
  }
  if (
    !Array.isArray(options.expectedRequestIds) ||
    !options.expectedRequestIds.every((id) => typeof id === 'string')
  ) {
    throw new InvalidOptionError(
      'validateResponse: options.expectedRequestIds must be an array of strings.',
      'ERR_INVALID_ARG_TYPE',
    );
  }
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new InvalidOptionError(
      `validateResponse: options.maxBytes must be a positive integer, got ${maxBytes}.`,
    );
  }
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_XML_DEPTH;
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_XML_DEPTH_LIMIT) {
    throw new InvalidOptionError(
      `validateResponse: options.maxDepth must be an integer from 1 to ${MAX_XML_DEPTH_LIMIT}, got ${maxDepth}.`,
    );
  }
  // Stored connections may predate a policy field: fill gaps from the defaults, then validate.
  const policy: ConnectionPolicy = { ...DEFAULT_POLICY, ...connection.policy };
  if (!REQUIREMENTS.includes(policy.wantSigned)) {
    throw new InvalidOptionError(
      `validateResponse: policy.wantSigned must be one of ${REQUIREMENTS.join(', ')}.`,
    );
  }
  const skew = policy.clockSkewSeconds;
  if (typeof skew !== 'number' || !Number.isFinite(skew) || skew < 0 || skew > 86_400) {
    throw new InvalidOptionError(
      `validateResponse: policy.clockSkewSeconds must be 0..86400 seconds, got ${skew}.`,
    );
  }
  if (!connection.idpEntityId) {
    throw new SamlSpError('SAML_CONNECTION_INVALID', `Connection ${connection.id} has no IdP entity ID.`, {
      hint: 'Re-import the IdP metadata for this connection.',
      status: 500,
    });
  }
  return { connection, sp, policy, maxBytes, maxDepth, clock: { now, skewSeconds: skew } };
}

/**
 * The connection's signing certificates, parsed (and cached). Called only when a signature is checked, so a
 * broken connection does not mask a malformed message.
 *
 * @example
 * ```ts
 * const certificates = trustedCertificates(connection);
 * ```
 */
export function trustedCertificates(connection: Connection): TrustedCertificate[] {
  if (!Array.isArray(connection.signingCertificates) || connection.signingCertificates.length === 0) {
    throw new SamlSpError(
      'SAML_CONNECTION_INVALID',
      `Connection ${connection.id} trusts no IdP signing certificate.`,
      {
        hint: 'Import the IdP metadata (or paste its signing certificate) so that the connection has a certificate to verify with.',
        status: 500,
      },
    );
  }
  return connection.signingCertificates.map((c) => trustedCertificate(c.pem));
}
