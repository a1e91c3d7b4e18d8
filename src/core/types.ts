/**
 * The data the SAML core works on. Plain, serialisable objects: stores persist them as JSON, the admin API
 * returns them, the core reads them. No behaviour lives here.
 */
import type {
  ActivationRecord,
  ConnectionChange,
  ConnectionStatus,
  SpEntityIdMode,
  TestVerdict,
} from './connection-lifecycle.ts';
import type { MetadataStatus } from './connection-state.ts';
import type { SpKey } from './crypto/signer.ts';

/** A PEM private key and the PEM certificate that carries its public half. */
export interface KeyPair {
  privateKeyPem: string;
  certificatePem: string;
}

/** Who the SP is, for one connection. URLs are absolute. */
export interface SpIdentity {
  entityId: string;
  acsUrl: string;
  sloUrl: string;
  metadataUrl: string;
  /**
   * Signs AuthnRequests, LogoutRequests/Responses and the SP metadata: a PEM key pair, or a certificate with a
   * {@link Signer} that holds the private key elsewhere (a KMS, another process).
   */
  signing: SpKey;
  /** Decrypts EncryptedAssertions. May be the same pair as `signing`. */
  encryption: SpKey;
  /**
   * The certificates the metadata publishes, during a key rollover (src/keys): the `next` and `active`
   * signing certificates, every non-retired encryption certificate. Default: `signing` and `encryption`.
   */
  published?: { signing: string[]; encryption: string[] };
  /**
   * Every key the ACS may decrypt with (the non-retired encryption keys, the primary first), and the retired
   * ones it must refuse by name. Default: `encryption` alone.
   */
  decryption?: { keys: SpKey[]; retired: { id: string; certificatePem: string }[] };
}

export type SamlBinding = 'redirect' | 'post' | 'soap' | 'artifact';

export const BINDING_URIS = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
  soap: 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP',
  artifact: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact',
} as const satisfies Record<SamlBinding, string>;

export interface IdpEndpoint {
  binding: SamlBinding;
  location: string;
  /** SingleLogoutService ResponseLocation, when it differs from Location. */
  responseLocation?: string;
}

/** One IdP signing certificate, as trusted by a connection. */
export interface IdpCertificate {
  pem: string;
  /** SHA-256 over the DER, upper-case hex with colons (the form IdP consoles show). */
  fingerprintSha256: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  /** When refreshed metadata first listed this certificate (ISO). Kept across refreshes for rollover. */
  firstSeenAt?: string;
  /** When the IdP metadata last listed it; an older value means it is kept only for a rollover grace period. */
  lastSeenAt?: string;
}

export type PresetName = 'okta' | 'entra' | 'adfs' | 'google' | 'keycloak' | 'generic';
export const PRESET_NAMES: readonly PresetName[] = ['okta', 'entra', 'adfs', 'google', 'keycloak', 'generic'];

/** The local user fields an assertion can fill. */
export type MappedField = 'email' | 'firstName' | 'lastName' | 'displayName' | 'groups' | 'externalId';

/** For each local field, the attribute names to try in order (exact, case-sensitive SAML attribute Names). */
export type AttributeMapping = Partial<Record<MappedField, string[]>>;

/** Which element's signature the connection demands. */
export type SignatureRequirement =
  /** The Assertion itself must be signed; a Response signature alone is refused. */
  | 'assertion'
  /**
   * The default: a signed Assertion, or a signed Response that covers the assertion (SAML profiles §4.1.3.5;
   * Keycloak's console default, Google's "Signed response"), as Shibboleth and python3-saml accept. Either is
   * safe because only the signed bytes are read (src/core/response/validate-response.ts).
   */
  | 'response-or-assertion'
  /** Both the Response and the Assertion must be signed. */
  | 'response-and-assertion';

/** Per-connection security policy. Every relaxation is a named, visible switch. */
export interface ConnectionPolicy {
  wantSigned: SignatureRequirement;
  /**
   * Accept RSA-SHA1 signatures and SHA-1 digests.
   * @deprecated-style warning: SHA-1 is broken for collision resistance; enable only for an IdP (old ADFS trusts)
   * that cannot be switched to SHA-256, and plan to turn it off.
   */
  allowSha1: boolean;
  /** Accept IdP-initiated (unsolicited) responses. Off by default: they carry no InResponseTo to bind to. */
  allowIdpInitiated: boolean;
  /** Tolerated clock difference, in seconds, applied to every NotBefore / NotOnOrAfter. Default 120. */
  clockSkewSeconds: number;
  /** Refuse assertions that arrive unencrypted. Off by default. */
  requireEncryptedAssertion: boolean;
  /**
   * Decrypt AES-CBC encrypted assertions even when no Response signature covers the ciphertext.
   * Warning: unauthenticated CBC ciphertext is open to padding-oracle attacks (an attacker replays altered
   * copies and learns the plaintext). Off by default: CBC is decrypted only under a verified Response
   * signature. Turn on only for an IdP that can neither sign the Response nor use AES-GCM.
   */
  allowCbcWithoutResponseSignature: boolean;
  /** Sign AuthnRequests (and logout messages). On by default. */
  signAuthnRequests: boolean;
  /** Extra Issuer values accepted on logout messages (Entra signs LogoutResponses as login.microsoftonline.com). */
  logoutIssuerAliases: string[];
  /**
   * Accept back-channel (SOAP) logout messages that carry no Destination. Off by default: without Destination a
   * LogoutRequest the IdP signed for another of its SPs can be replayed to this one and end sessions here.
   * Keycloak, SimpleSAMLphp and samlify always send it; turn this on only for an IdP that does not.
   */
  allowSoapLogoutWithoutDestination: boolean;
  /**
   * Acceptable AuthnContextClassRef values (for example the IdP's MFA classes, see
   * src/core/assurance/authn-context.ts for vendor presets). Empty: any. An assertion whose AuthnContextClassRef
   * (or, for Entra ID and AD FS, whose `authnmethodsreferences` claim) names none of them is refused with
   * SAML_AUTHN_CONTEXT_NOT_ACCEPTED.
   */
  acceptedAuthnContexts: string[];
  /**
   * Send a <RequestedAuthnContext> in AuthnRequests. Off (undefined) by default: Entra ID refuses a context the
   * user did not use (AADSTS75011), and AD FS answers "Responder" to one it cannot satisfy.
   */
  requestedAuthnContext?: RequestedAuthnContext | null;
  /**
   * The largest IdP metadata document this connection accepts, in bytes, whether uploaded or downloaded from
   * its metadata URL. Unset: 1 MiB for the document and a 5 MiB download cap (one IdP's metadata is a few
   * kilobytes). Raise it, up to 64 MiB, to import one IdP from a federation aggregate (src/core/metadata/limits.ts).
   */
  metadataMaxBytes?: number;
}

/** The <RequestedAuthnContext> an AuthnRequest carries (SAML core §3.3.2.2.1). */
export interface RequestedAuthnContext {
  classRefs: string[];
  /** Default 'exact'. */
  comparison: 'exact' | 'minimum' | 'maximum' | 'better';
}

export const DEFAULT_POLICY: Readonly<ConnectionPolicy> = Object.freeze({
  wantSigned: 'response-or-assertion',
  allowSha1: false,
  allowIdpInitiated: false,
  clockSkewSeconds: 120,
  requireEncryptedAssertion: false,
  allowCbcWithoutResponseSignature: false,
  signAuthnRequests: true,
  logoutIssuerAliases: [],
  allowSoapLogoutWithoutDestination: false,
  acceptedAuthnContexts: [],
});

/** A configured IdP: one per customer. */
export interface Connection {
  id: string;
  displayName: string;
  idpEntityId: string;
  ssoEndpoints: IdpEndpoint[];
  sloEndpoints: IdpEndpoint[];
  signingCertificates: IdpCertificate[];
  nameIdFormats: string[];
  /** The NameID format to ask for in AuthnRequests; omitted from the request when unset. */
  requestedNameIdFormat?: string;
  wantAuthnRequestsSigned: boolean;
  preset: PresetName;
  /** Per-connection overrides on top of the preset. */
  attributeMapping: AttributeMapping;
  policy: ConnectionPolicy;
  /** Overrides the SP entity ID for this connection (some IdPs want one per tenant): `spEntityIdMode` 'custom'. */
  spEntityId?: string;
  /**
   * Which SP entity ID the IdP sees (src/core/connection-lifecycle.ts). Unset: `custom` when `spEntityId` is
   * set, else `shared` (connections built by `connectionFromMetadata`, as before 0.3).
   */
  spEntityIdMode?: SpEntityIdMode;
  /** draft -> testing -> active. Unset means active (see `connectionStatus`). */
  status?: ConnectionStatus;
  /** How and by whom it became active. */
  activation?: ActivationRecord;
  /** The last test sign-in's verdict. */
  lastTest?: TestVerdict;
  /** The last edits, newest last (at most HISTORY_LIMIT): who changed what, and when. */
  history?: ConnectionChange[];
  metadataXml?: string;
  metadataUrl?: string;
  /** Pinned certificates that must have signed the metadata (checked on import and on every refresh). */
  metadataSigningCertificates?: IdpCertificate[];
  /**
   * The organization (customer) that owns this connection (`src/core/organization.ts`). A connection created
   * without one gets an organization of its own; connections stored before organizations existed were moved
   * into one each by migration 5. Unset only for connections built by hand outside the stores.
   */
  organizationId?: string;
  /** Where the metadata came from and how its last refresh went (src/sp/connection-service.ts). */
  metadataStatus?: MetadataStatus;
  createdAt: string;
  updatedAt: string;
}

/** A NameID exactly as the IdP sent it; logout must echo all of it. */
export interface NameId {
  value: string;
  format?: string;
  nameQualifier?: string;
  spNameQualifier?: string;
}

/** The facts taken from a response that passed every check. Only signed content reaches this object. */
export interface ValidatedAssertion {
  responseId: string;
  assertionId: string;
  issuer: string;
  inResponseTo?: string;
  nameId: NameId;
  sessionIndex?: string;
  /** AuthnStatement SessionNotOnOrAfter, if the IdP set one. */
  sessionNotOnOrAfter?: Date;
  authnInstant?: Date;
  authnContextClassRef?: string;
  /** Repeated <Attribute> elements with one Name are merged; every value is kept. */
  attributes: Record<string, string[]>;
  /** The latest time after which this assertion must no longer be accepted (for the replay cache). */
  notOnOrAfter: Date;
  /** Which certificate verified which element. */
  signature: {
    signedElements: ('response' | 'assertion')[];
    certificateFingerprint: string;
    algorithm: string;
  };
  wasEncrypted: boolean;
}

/** A local user as the built-in user store keeps it. */
export interface UserRecord {
  id: string;
  connectionId: string;
  nameId: string;
  nameIdFormat?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  displayName?: string;
  groups: string[];
  externalId?: string;
  attributes: Record<string, string[]>;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string;
}

/** The profile the mapping produces, before it becomes a user record. */
export interface MappedProfile {
  email?: string;
  firstName?: string;
  lastName?: string;
  displayName?: string;
  groups: string[];
  externalId?: string;
  /** Mapping remarks for the admin (e.g. "email taken from UPN"), never shown to end users. */
  warnings: string[];
}
