/**
 * Builds the dev IdP's SAML Response with samlify's IdentityProvider.createLoginResponse, our template, and
 * explicit algorithms: RSA-SHA256 over an assertion signed with a SHA-256 digest and exclusive c14n, optionally
 * encrypted with AES-256-GCM + RSA-OAEP. Overrides exist so tests can forge the responses an SP must refuse.
 */
import { randomBytes } from 'node:crypto';
import type { KeyPair } from '../core/types.ts';
import { BINDING_URIS } from '../core/types.ts';
import { stripMessageSignature } from './forge.ts';
import { type DevIdpIdentity, idpEntitySettings } from './metadata.ts';
import {
  configuredSamlify,
  type DevIdpSignatureAlgorithm,
  ENCRYPTION_ALGORITHMS,
  type IdentityProviderSettings,
  SIGNATURE_ALGORITHMS,
  SIGNATURE_TRANSFORMS,
} from './samlify.ts';
import type { KnownServiceProvider } from './service-providers.ts';
import { AC_PASSWORD_PROTECTED, fillTemplate, LOGIN_RESPONSE_TEMPLATE } from './template.ts';
import type { DevIdpUser } from './users.ts';

/** Ways to bend one response, for tests. Each changes only what its name says. */
export interface ResponseOverrides {
  /** Audience in AudienceRestriction (default: the SP entityID). */
  audience?: string;
  /** SubjectConfirmationData Recipient (default: the ACS URL). */
  recipient?: string;
  /** Response Destination (default: the ACS URL). */
  destination?: string;
  /** Issuer of the Response and the Assertion (default: the IdP entityID). */
  issuer?: string;
  /** Conditions NotBefore (default: `now`). */
  notBefore?: Date;
  /** Conditions and SubjectConfirmationData NotOnOrAfter (default: `now` + the assertion lifetime). */
  notOnOrAfter?: Date;
  /** The IdP's clock: IssueInstant, AuthnInstant and the default time window derive from it. */
  now?: Date;
  /** Sign with this key instead of the IdP's; its certificate goes into KeyInfo (an untrusted signer). */
  signingKey?: KeyPair;
  signatureAlgorithm?: DevIdpSignatureAlgorithm;
  /** Sign the Assertion (default true). */
  signAssertion?: boolean;
  /** Sign the Response (default false: like Entra, ADFS and Google, only the assertion is signed). */
  signResponse?: boolean;
  /** Encrypt the assertion for the SP's encryption certificate (default false). */
  encrypt?: boolean;
  /** AuthnStatement AuthnInstant (default: the IdP session's sign-in time, else `now`): forges a stale login. */
  authnInstant?: Date;
  /** AuthnContextClassRef (default PasswordProtectedTransport): forges an MFA or a weaker method. */
  authnContextClassRef?: string;
}

/** The IdP-wide settings every response is built from. */
export interface ResponseIssuer {
  identity: DevIdpIdentity;
  signatureAlgorithm: DevIdpSignatureAlgorithm;
  assertionLifetimeSeconds: number;
}

/** One response to build: for whom, to which ACS, in which IdP session. */
export interface LoginResponseInput {
  sp: KnownServiceProvider;
  user: DevIdpUser;
  acsUrl: string;
  inResponseTo?: string;
  sessionIndex: string;
  authnInstant?: Date;
  overrides?: ResponseOverrides;
}

/** A fresh SAML ID: an NCName (leading underscore) with 160 random bits. */
export function newSamlId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}

/** Builds a login response and returns it base64-encoded, ready for the HTTP-POST binding. */
export async function buildLoginResponse(issuer: ResponseIssuer, input: LoginResponseInput): Promise<string> {
  const o = input.overrides ?? {};
  const { sp, user, acsUrl } = input;
  const now = o.now ?? new Date();
  const notOnOrAfter = o.notOnOrAfter ?? new Date(now.getTime() + issuer.assertionLifetimeSeconds * 1000);
  const signAssertion = o.signAssertion ?? true;
  const signResponse = o.signResponse ?? false;
  const encrypt = o.encrypt ?? false;
  if (encrypt && !sp.encryptionCertificate) {
    throw new Error(`dev IdP: cannot encrypt for ${sp.entityId}: its metadata has no encryption certificate`);
  }
  const signing = o.signingKey ?? issuer.identity.signing;

  const samlify = configuredSamlify();
  const idpSettings: IdentityProviderSettings & {
    dataEncryptionAlgorithm: string;
    keyEncryptionAlgorithm: string;
  } = {
    ...idpEntitySettings({ ...issuer.identity, signing }),
    privateKey: signing.privateKeyPem,
    requestSignatureAlgorithm: SIGNATURE_ALGORITHMS[o.signatureAlgorithm ?? issuer.signatureAlgorithm],
    isAssertionEncrypted: encrypt,
    dataEncryptionAlgorithm: ENCRYPTION_ALGORITHMS.data,
    keyEncryptionAlgorithm: ENCRYPTION_ALGORITHMS.key,
    // samlify warns about a template without `attributes`, and with them fills a `{AttributeStatement}` tag;
    // ours has no such tag (its `{Attributes}` carries multi-valued attributes that samlify cannot build).
    loginResponseTemplate: { context: LOGIN_RESPONSE_TEMPLATE, attributes: [] },
  };
  const idp = samlify.IdentityProvider(idpSettings);
  // samlify decides what to sign from the SP's metadata (WantAssertionsSigned) and settings (wantMessageSigned).
  // A per-message SP entity, described by options rather than the SP's XML, lets each response choose.
  const target = samlify.ServiceProvider({
    entityID: sp.entityId,
    assertionConsumerService: [{ Binding: BINDING_URIS.post, Location: acsUrl }],
    ...(sp.encryptionCertificate ? { encryptCert: sp.encryptionCertificate } : {}),
    wantAssertionsSigned: signAssertion,
    wantMessageSigned: signResponse,
    transformationAlgorithms: SIGNATURE_TRANSFORMS,
  });

  const values = {
    ID: newSamlId(),
    AssertionID: newSamlId(),
    IssueInstant: now.toISOString(),
    Destination: o.destination ?? acsUrl,
    ...(input.inResponseTo === undefined ? {} : { InResponseTo: input.inResponseTo }),
    Issuer: o.issuer ?? issuer.identity.entityId,
    NameID: user.email,
    Recipient: o.recipient ?? acsUrl,
    SubjectConfirmationDataNotOnOrAfter: notOnOrAfter.toISOString(),
    NotBefore: (o.notBefore ?? now).toISOString(),
    NotOnOrAfter: notOnOrAfter.toISOString(),
    Audience: o.audience ?? sp.entityId,
    AuthnInstant: (o.authnInstant ?? input.authnInstant ?? now).toISOString(),
    AuthnContextClassRef: o.authnContextClassRef ?? AC_PASSWORD_PROTECTED,
    SessionIndex: input.sessionIndex,
    attributes: {
      email: [user.email],
      firstName: [user.firstName],
      lastName: [user.lastName],
      groups: user.groups,
    },
  };
  const result = await idp.createLoginResponse(target, { extract: {} }, 'post', samlifyUser(user), {
    customTagReplacement: (template) => ({ id: values.ID, context: fillTemplate(template, values) }),
    // Encrypt the (signed) assertion first, then sign the Response, so a Response signature covers the
    // EncryptedAssertion. samlify's other order signs the Response before encrypting, which breaks that signature.
    encryptThenSign: true,
  });
  if (signAssertion || signResponse) return result.context;
  // samlify signs the Response whenever the assertion is unsigned; an unsigned message is a test forgery.
  const xml = Buffer.from(result.context, 'base64').toString('utf8');
  return Buffer.from(stripMessageSignature(xml), 'utf8').toString('base64');
}

function samlifyUser(user: DevIdpUser): { email: string } {
  return { email: user.email };
}
