/**
 * saml-sp-kit: the public library API. This file only re-exports.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { ServiceProvider, openStores, samlRouter, accountRoutes } from 'saml-sp-kit';
 *
 * const stores = await openStores({ databaseUrl: 'sqlite:data/app.db' });
 * const sp = new ServiceProvider({ baseUrl: 'https://app.example.com', entityId: 'https://app.example.com', keys, stores });
 * const app = express();
 * app.use('/saml', samlRouter(sp));
 * app.use(accountRoutes(sp));
 * ```
 */

export * from './audit/index.ts';
export { loadConfig, type ResolvedConfig } from './config.ts';
export * from './core/connection-lifecycle.ts';
export type { MetadataFailure, MetadataStatus } from './core/connection-state.ts';
export {
  type Decrypter,
  pemDecrypter,
  pemSigner,
  type SignatureAlgorithmName,
  type Signer,
  type SpKey,
  type WrappedKey,
} from './core/crypto/signer.ts';
export * from './core/errors.ts';
export { describeCertificate, generateKeyPair } from './core/keys.ts';
export {
  type DecodedLogoutMessage,
  decodeLogoutMessage,
  type IncomingLogoutMessage,
} from './core/logout/decode.ts';
export { encodeLogoutMessage, type OutgoingLogoutMessage } from './core/logout/encode.ts';
export { buildLogoutRequest, chooseSloEndpoint, type SloEndpoint } from './core/logout/logout-request.ts';
export {
  buildLogoutResponse,
  LOGOUT_STATUS,
  type LogoutOutcome,
  logoutStatusFor,
} from './core/logout/logout-response.ts';
export {
  type ValidatedLogoutRequest,
  type ValidatedLogoutResponse,
  validateLogoutRequest,
  validateLogoutResponse,
} from './core/logout/validate-logout.ts';
export { mapAttributes } from './core/mapping/map-attributes.ts';
export { fieldLookingLike, type MappingReport, mappingReport } from './core/mapping/mapping-report.ts';
export { PRESETS } from './core/mapping/presets.ts';
export { parseXsDuration } from './core/metadata/duration.ts';
export {
  type MetadataFacts,
  type ParsedIdpMetadata,
  parseIdpMetadata,
} from './core/metadata/idp-metadata.ts';
export {
  DEFAULT_MAX_METADATA_BYTES,
  DEFAULT_METADATA_DOWNLOAD_BYTES,
  MAX_METADATA_MAX_BYTES,
  MIN_METADATA_MAX_BYTES,
  metadataLimits,
} from './core/metadata/limits.ts';
export {
  LINT_IDS,
  type LintId,
  type LintSeverity,
  type LintWarning,
  lintConnection,
} from './core/metadata/lint.ts';
export {
  type MetadataSignatureOptions,
  verifyMetadataSignature,
} from './core/metadata/metadata-signature.ts';
export { DEFAULT_ROLLOVER_GRACE_MS, mergeCertificates } from './core/metadata/rollover.ts';
export { buildSpMetadata } from './core/metadata/sp-metadata.ts';
export * from './core/organization.ts';
export {
  RESPONSE_CHECKS,
  type ValidateResponseOptions,
  validateResponse,
} from './core/response/validate-response.ts';
export * from './core/types.ts';
export * from './events/index.ts';
export * from './http/index.ts';
export {
  type ConnectionSpKeys,
  fileKeyResolver,
  type KeyResolver,
  KeyRing,
  type KeyRingOptions,
  type SpKeyView,
} from './keys/index.ts';
export * from './metrics/index.ts';
export {
  createOidcBridge,
  type OidcBridge,
  type OidcBridgeOptions,
  type OidcResource,
} from './oidc/bridge.ts';
export { type CreateOidcClientInput, OidcClientService, type OidcClientView } from './oidc/clients.ts';
export {
  AccessTokenError,
  type VerifiedAccessToken,
  type VerifyAccessTokenOptions,
  verifyAccessToken,
} from './oidc/verify-access-token.ts';
export { createAppServer, loadSpKeys, openKeyRing } from './server.ts';
export { ADMIN_ERROR_CODES, AdminError, type AdminErrorCode, isAdminError } from './sp/admin-errors.ts';
export { type Actor, type ChangeContext, UNKNOWN_ACTOR } from './sp/change-context.ts';
export {
  type CreateConnectionInput,
  createConnectionSchema,
  type UpdateConnectionInput,
  updateConnectionSchema,
} from './sp/connection-input.ts';
export {
  ConnectionService,
  type ConnectionServiceOptions,
  type RefreshOutcome,
} from './sp/connection-service.ts';
export { type ConnectionView, connectionView } from './sp/connection-view.ts';
export { applyMetadata, connectionFromMetadata, draftConnection } from './sp/connections.ts';
export {
  checkDomainChallenge,
  createTxtResolver,
  type DnsResolverOptions,
  type TxtResolver,
} from './sp/domain-verification.ts';
export { loadOrCreateKeyPair } from './sp/key-files.ts';
export {
  type EndSessionsResult,
  LogoutService,
  type LogoutServiceOptions,
  type LogoutStart,
  type SloResult,
} from './sp/logout-service.ts';
export { fetchMetadata } from './sp/metadata-fetch.ts';
export { MetadataRefresher, type MetadataRefresherOptions } from './sp/metadata-refresh.ts';
export {
  type CreateOrganizationInput,
  createOrganizationSchema,
  type UpdateOrganizationInput,
  updateOrganizationSchema,
} from './sp/organization-input.ts';
export {
  CHALLENGE_LABEL,
  CHALLENGE_VALUE_PREFIX,
  type DomainChallenge,
  domainChallenge,
  OrganizationService,
  type OrganizationServiceOptions,
  type OrganizationView,
  organizationView,
} from './sp/organization-service.ts';
export { safeReturnTo } from './sp/return-to.ts';
export {
  type AcsInput,
  type ClientFacts,
  type LoginStart,
  ServiceProvider,
  type ServiceProviderOptions,
  type SignInAttempt,
  type SignInEvent,
  type SignInFacts,
  type SignInResult,
} from './sp/service-provider.ts';
export { recordSignInHealth } from './sp/sign-in-health.ts';
export {
  type TestCheck,
  type TestResult,
  type TestRun,
  TestSignIns,
  type TestSignInsOptions,
} from './sp/test-sign-in.ts';
export {
  isStoreUnavailable,
  STORE_UNAVAILABLE,
  type StoreBackend,
  StoreUnavailableError,
} from './store/errors.ts';
export { openStores } from './store/index.ts';
export { DomainTakenError, isDomainTaken } from './store/organizations.ts';
export { StoreNotReadyError } from './store/readiness.ts';
export type * from './store/types.ts';
export {
  captureKey,
  newTraceId,
  normalizeTraceId,
  startTraceSweeper,
  TraceService,
  type TraceServiceOptions,
  type TraceView,
  traceView,
} from './trace/index.ts';
