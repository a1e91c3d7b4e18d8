/**
 * Reads an incoming AuthnRequest (HTTP-Redirect or HTTP-POST binding): decode, parse safely, find the SP by its
 * Issuer, verify the signature with samlify against the SP's metadata certificate, and pick the ACS URL from the
 * SP's metadata. Every refusal is a SamlSpError, which the router turns into a 400 page.
 */
import { inflateRawSync } from 'node:zlib';
import type { Element } from '@xmldom/xmldom';
import type { IdentityProviderInstance } from 'samlify';
import { SamlSpError } from '../core/errors.ts';
import { NS } from '../core/xml/namespaces.ts';
import {
  childElements,
  DEFAULT_MAX_XML_BYTES,
  decodeBase64Xml,
  parseXml,
  textOf,
} from '../core/xml/parse.ts';
import { readRedirectMessage } from '../core/xml/redirect-query.ts';
import {
  type KnownServiceProvider,
  type ServiceProviderDirectory,
  withAnySigningEntity,
} from './service-providers.ts';

/** An AuthnRequest as it arrived: the raw query string for Redirect (its exact bytes are signed), form fields for POST. */
export type AuthnRequestMessage =
  | { binding: 'redirect'; rawQuery: string }
  | { binding: 'post'; samlRequest: string | undefined; relayState: string | undefined };

/** What the dev IdP keeps of a verified AuthnRequest. */
export interface AcceptedAuthnRequest {
  sp: KnownServiceProvider;
  requestId: string;
  /** From the SP metadata: the requested URL when the metadata lists it, else the SP's default ACS. */
  acsUrl: string;
  relayState?: string;
  forceAuthn: boolean;
  /** The AuthnRequest's Subject NameID, read as a login hint (as Keycloak does). */
  loginHint?: string;
}

export interface ReadAuthnRequestContext {
  directory: ServiceProviderDirectory;
  /** samlify's view of this IdP, used only to verify request signatures. */
  idp: IdentityProviderInstance;
  ssoUrl: string;
}

const MAX_RELAY_STATE = 2048;

/** Validates an AuthnRequest and returns what the login flow needs; throws SamlSpError when it must be refused. */
export async function readAuthnRequest(
  message: AuthnRequestMessage,
  ctx: ReadAuthnRequestContext,
): Promise<AcceptedAuthnRequest> {
  const fields = message.binding === 'redirect' ? redirectFields(message.rawQuery) : postFields(message);
  if (fields.relayState !== undefined && fields.relayState.length > MAX_RELAY_STATE) {
    throw new SamlSpError(
      'SAML_MESSAGE_TOO_LARGE',
      `RelayState is longer than ${MAX_RELAY_STATE} characters.`,
    );
  }
  const xml = message.binding === 'redirect' ? inflate(fields.samlRequest) : fields.samlRequest;
  const root = parseXml(xml, { what: 'AuthnRequest' }).documentElement as Element;
  if (root.localName !== 'AuthnRequest' || root.namespaceURI !== NS.protocol) {
    throw new SamlSpError('SAML_STRUCTURE_INVALID', `Expected a samlp:AuthnRequest, got <${root.tagName}>.`);
  }
  const requestId = root.getAttribute('ID') ?? '';
  const issuer = textOf(childElements(root, NS.assertion, 'Issuer')[0]);
  if (requestId === '' || !issuer) {
    throw new SamlSpError('SAML_STRUCTURE_INVALID', 'The AuthnRequest has no ID or no Issuer.', {
      hint: 'The Web Browser SSO profile requires both; the dev IdP finds the SP by its Issuer.',
    });
  }
  const destination = root.getAttribute('Destination');
  if (destination && destination !== ctx.ssoUrl) {
    throw new SamlSpError(
      'SAML_DESTINATION_MISMATCH',
      `Destination is ${destination}, expected ${ctx.ssoUrl}.`,
      {
        hint: "Re-import the dev IdP's metadata into the SP: its SSO URL has changed.",
      },
    );
  }
  const sp = await ctx.directory.find(issuer);
  if (!sp) {
    throw new SamlSpError(
      'SAML_CONNECTION_NOT_FOUND',
      `No SP with entityID ${issuer} is registered at the dev IdP.`,
      {
        hint: "The dev IdP serves the SPs whose metadata the server gives it; check the SP's entityID.",
        details: { issuer },
      },
    );
  }

  const signed =
    message.binding === 'redirect'
      ? fields.signature !== undefined || fields.sigAlg !== undefined
      : childElements(root, NS.dsig, 'Signature').length > 0;
  if (sp.authnRequestsSigned && !signed) {
    throw new SamlSpError('SAML_SIGNATURE_MISSING', `The AuthnRequest from ${issuer} is not signed.`, {
      hint: 'The SP metadata says AuthnRequestsSigned="true", so the dev IdP refuses unsigned requests.',
    });
  }
  // A signature that is present is always checked, even when the SP's metadata does not promise one.
  if (signed) await verifySignature(message.binding, fields, root, sp, ctx.idp);

  const requestedAcs = root.getAttribute('AssertionConsumerServiceURL');
  const accepted: AcceptedAuthnRequest = {
    sp,
    requestId,
    // A URL the SP's metadata does not list could send the assertion anywhere: fall back to the default.
    acsUrl: requestedAcs && sp.acsUrls.includes(requestedAcs) ? requestedAcs : (sp.acsUrls[0] as string),
    forceAuthn: root.getAttribute('ForceAuthn') === 'true' || root.getAttribute('ForceAuthn') === '1',
  };
  if (fields.relayState !== undefined) accepted.relayState = fields.relayState;
  const subject = childElements(root, NS.assertion, 'Subject')[0];
  const hint = subject ? textOf(childElements(subject, NS.assertion, 'NameID')[0]) : undefined;
  if (hint) accepted.loginHint = hint;
  return accepted;
}

interface MessageFields {
  samlRequest: string;
  relayState?: string;
  sigAlg?: string;
  signature?: string;
  /** Redirect binding: the signed octet string, rebuilt from the query's original percent-encoding. */
  octetString?: string;
}

/**
 * Splits the raw query by hand: SAML bindings 3.4.4.1 signs the parameters exactly as they were encoded, and a
 * parameter given twice would leave it ambiguous which value was signed.
 */
function redirectFields(rawQuery: string): MessageFields {
  const { key, value, octetString, ...rest } = readRedirectMessage(rawQuery);
  if (key !== 'SAMLRequest')
    throw new SamlSpError('SAML_MESSAGE_MISSING', 'No SAMLRequest query parameter was sent.');
  return { samlRequest: value, octetString, ...rest };
}

function postFields(message: {
  samlRequest: string | undefined;
  relayState: string | undefined;
}): MessageFields {
  if (!message.samlRequest)
    throw new SamlSpError('SAML_MESSAGE_MISSING', 'No SAMLRequest form field was sent.');
  const fields: MessageFields = { samlRequest: decodeBase64Xml(message.samlRequest, 'SAMLRequest') };
  if (message.relayState !== undefined) fields.relayState = message.relayState;
  return fields;
}

/** Base64 + raw DEFLATE (bindings 3.4.4.1), with the output capped so a small request cannot inflate to gigabytes. */
function inflate(base64: string): string {
  const compact = base64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new SamlSpError('SAML_MALFORMED', 'The SAMLRequest is not valid base64.');
  }
  const compressed = Buffer.from(compact, 'base64');
  try {
    return inflateRawSync(compressed, { maxOutputLength: DEFAULT_MAX_XML_BYTES }).toString('utf8');
  } catch (cause) {
    if (cause instanceof RangeError) {
      throw new SamlSpError('SAML_MESSAGE_TOO_LARGE', 'The SAMLRequest inflates beyond the size limit.', {
        cause,
      });
    }
    throw new SamlSpError('SAML_MALFORMED', 'The SAMLRequest is not DEFLATE-compressed.', {
      hint: 'The HTTP-Redirect binding carries base64 of raw DEFLATE (no zlib header).',
      cause,
    });
  }
}

async function verifySignature(
  binding: 'redirect' | 'post',
  fields: MessageFields,
  root: Element,
  sp: KnownServiceProvider,
  idp: IdentityProviderInstance,
): Promise<void> {
  const request =
    binding === 'redirect'
      ? {
          query: { SAMLRequest: fields.samlRequest, SigAlg: fields.sigAlg, Signature: fields.signature },
          octetString: fields.octetString as string,
        }
      : { body: { SAMLRequest: Buffer.from(fields.samlRequest, 'utf8').toString('base64') } };
  try {
    // During an SP key rollover the metadata lists several signing certificates: any of them may verify.
    await withAnySigningEntity(sp, (entity) => idp.parseLoginRequest(entity, binding, request));
  } catch (cause) {
    throw new SamlSpError(
      'SAML_SIGNATURE_INVALID',
      `The AuthnRequest signature from ${sp.entityId} does not verify.`,
      {
        hint: 'Check that the SP signs with the key whose certificate is in the SP metadata the dev IdP was given.',
        details: { samlify: cause instanceof Error ? cause.message : String(cause) },
        cause,
      },
    );
  }
  if (binding === 'post') assertSignatureCoversRoot(root);
}

/**
 * samlify accepts any valid enveloped signature found under the request root, whatever element it references
 * (samlify #634): insist that the one Reference points at the AuthnRequest itself.
 */
function assertSignatureCoversRoot(root: Element): void {
  const signature = childElements(root, NS.dsig, 'Signature')[0];
  const signedInfo = signature ? childElements(signature, NS.dsig, 'SignedInfo')[0] : undefined;
  const references = signedInfo ? childElements(signedInfo, NS.dsig, 'Reference') : [];
  const id = root.getAttribute('ID');
  if (references.length !== 1 || references[0]?.getAttribute('URI') !== `#${id}`) {
    throw new SamlSpError(
      'SAML_SIGNATURE_INVALID',
      'The AuthnRequest signature does not cover the AuthnRequest.',
      {
        hint: 'A signature must reference the element it protects; anything else is a signature-wrapping attempt.',
      },
    );
  }
}
