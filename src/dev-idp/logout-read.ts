/**
 * Reads what an SP sends to the dev IdP's SingleLogoutService (HTTP-Redirect or HTTP-POST): its LogoutRequest
 * (SP-initiated logout) or its LogoutResponse (the answer to an IdP-initiated one). The signature is checked by
 * samlify against the SP's metadata certificate, so the SP's signing is tested by a second implementation;
 * an unsigned LogoutRequest is refused. Every refusal is a SamlSpError, which the router shows as a 400 page.
 */
import type { Element } from '@xmldom/xmldom';
import type { IdentityProviderInstance } from 'samlify';
import { SamlSpError } from '../core/errors.ts';
import { decodeAndInflate } from '../core/xml/encoding.ts';
import { NS, STATUS_SUCCESS } from '../core/xml/namespaces.ts';
import { childElements, decodeBase64Xml, parseXml, textOf } from '../core/xml/parse.ts';
import { readRedirectMessage } from '../core/xml/redirect-query.ts';
import {
  type KnownServiceProvider,
  type ServiceProviderDirectory,
  withAnySigningEntity,
} from './service-providers.ts';

/** A message at /slo as it arrived: the raw query for Redirect (its exact bytes are signed), form fields for POST. */
export type SloMessage =
  | { binding: 'redirect'; rawQuery: string }
  | { binding: 'post'; fields: Record<string, string | undefined> };

/** A verified LogoutRequest from an SP. */
export interface SpLogoutRequest {
  kind: 'LogoutRequest';
  binding: 'redirect' | 'post';
  sp: KnownServiceProvider;
  requestId: string;
  nameId: string;
  sessionIndexes: string[];
  relayState?: string;
}

/** A LogoutResponse from an SP, with what the dev IdP could check of it. */
export interface SpLogoutResponse {
  kind: 'LogoutResponse';
  binding: 'redirect' | 'post';
  sp: KnownServiceProvider;
  inResponseTo?: string;
  /** Top-level first. */
  statusCodes: string[];
  /** samlify verified the signature (it refuses to look at a non-Success response, so those stay unverified). */
  verified: boolean;
  relayState?: string;
}

export interface ReadSloContext {
  directory: ServiceProviderDirectory;
  /** samlify's IdP with wantLogoutRequestSigned/wantLogoutResponseSigned set: it verifies SP signatures. */
  idp: IdentityProviderInstance;
  sloUrl: string;
}

/** Reads and verifies a message at /slo. */
export async function readSloMessage(
  message: SloMessage,
  ctx: ReadSloContext,
): Promise<SpLogoutRequest | SpLogoutResponse> {
  const fields =
    message.binding === 'redirect' ? readRedirectMessage(message.rawQuery) : postFields(message.fields);
  const xml =
    message.binding === 'redirect'
      ? decodeAndInflate(fields.value, { what: fields.key })
      : decodeBase64Xml(fields.value, fields.key);
  const root = parseXml(xml, { what: 'logout message' }).documentElement as Element;
  const kind = fields.key === 'SAMLRequest' ? 'LogoutRequest' : 'LogoutResponse';
  if (root.localName !== kind || root.namespaceURI !== NS.protocol) {
    throw new SamlSpError('SAML_STRUCTURE_INVALID', `Expected a samlp:${kind}, got <${root.tagName}>.`);
  }
  const issuer = textOf(childElements(root, NS.assertion, 'Issuer')[0]);
  const sp = issuer ? await ctx.directory.find(issuer) : undefined;
  if (!sp) {
    throw new SamlSpError(
      'SAML_CONNECTION_NOT_FOUND',
      `No SP with entityID ${issuer ?? '(none)'} is registered at the dev IdP.`,
      {
        details: { issuer },
      },
    );
  }
  const destination = root.getAttribute('Destination');
  if (destination && destination !== ctx.sloUrl) {
    throw new SamlSpError(
      'SAML_DESTINATION_MISMATCH',
      `Destination is ${destination}, expected ${ctx.sloUrl}.`,
    );
  }
  const relay = fields.relayState === undefined ? {} : { relayState: fields.relayState };

  if (kind === 'LogoutRequest') {
    await verify(
      () =>
        withAnySigningEntity(sp, (entity) =>
          ctx.idp.parseLogoutRequest(entity, message.binding, samlifyRequest(message.binding, fields)),
        ),
      sp,
    );
    if (message.binding === 'post') assertSignatureCoversRoot(root);
    const nameId = textOf(childElements(root, NS.assertion, 'NameID')[0]);
    const requestId = root.getAttribute('ID');
    if (!nameId || !requestId) {
      throw new SamlSpError('SAML_STRUCTURE_INVALID', 'The LogoutRequest has no ID or no NameID.');
    }
    const sessionIndexes = childElements(root, NS.protocol, 'SessionIndex')
      .map((s) => textOf(s) ?? '')
      .filter((s) => s !== '');
    return { kind, binding: message.binding, sp, requestId, nameId, sessionIndexes, ...relay };
  }

  const statusCodes: string[] = [];
  const status = childElements(root, NS.protocol, 'Status')[0];
  for (
    let code = status && childElements(status, NS.protocol, 'StatusCode')[0];
    code;
    code = childElements(code, NS.protocol, 'StatusCode')[0]
  ) {
    statusCodes.push(code.getAttribute('Value') ?? '');
  }
  let verified = false;
  if (statusCodes[0] === STATUS_SUCCESS) {
    await verify(
      () =>
        withAnySigningEntity(sp, (entity) =>
          ctx.idp.parseLogoutResponse(entity, message.binding, samlifyRequest(message.binding, fields)),
        ),
      sp,
    );
    if (message.binding === 'post') assertSignatureCoversRoot(root);
    verified = true;
  }
  const inResponseTo = root.getAttribute('InResponseTo') || undefined;
  return {
    kind,
    binding: message.binding,
    sp,
    ...(inResponseTo ? { inResponseTo } : {}),
    statusCodes,
    verified,
    ...relay,
  };
}

interface Fields {
  key: 'SAMLRequest' | 'SAMLResponse';
  /** The message as decoded from the query or form (base64, deflated for Redirect). */
  value: string;
  relayState?: string;
  sigAlg?: string;
  signature?: string;
  /** Redirect binding: the signed octet string, in the query's original encoding. */
  octetString?: string;
}

function postFields(body: Record<string, string | undefined>): Fields {
  const key = body.SAMLRequest !== undefined ? 'SAMLRequest' : 'SAMLResponse';
  const value = body[key];
  if (!value)
    throw new SamlSpError('SAML_MESSAGE_MISSING', 'No SAMLRequest or SAMLResponse form field was sent.');
  return { key, value, ...(body.RelayState !== undefined ? { relayState: body.RelayState } : {}) };
}

function samlifyRequest(binding: 'redirect' | 'post', fields: Fields) {
  return binding === 'redirect'
    ? {
        query: { [fields.key]: fields.value, SigAlg: fields.sigAlg, Signature: fields.signature },
        octetString: fields.octetString as string,
      }
    : { body: { [fields.key]: fields.value } };
}

async function verify(parse: () => Promise<unknown>, sp: KnownServiceProvider): Promise<void> {
  try {
    await parse();
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new SamlSpError(
      reason === 'ERR_MISSING_SIG_ALG' ? 'SAML_SIGNATURE_MISSING' : 'SAML_SIGNATURE_INVALID',
      `The logout message from ${sp.entityId} is unsigned or its signature does not verify (samlify: ${reason}).`,
      {
        hint: 'The dev IdP requires signed logout messages, signed with the key whose certificate is in the SP metadata.',
        details: { samlify: reason },
        cause,
      },
    );
  }
}

/** samlify accepts any valid signature under the root (samlify #634): insist it references the root itself. */
function assertSignatureCoversRoot(root: Element): void {
  const signature = childElements(root, NS.dsig, 'Signature')[0];
  const signedInfo = signature ? childElements(signature, NS.dsig, 'SignedInfo')[0] : undefined;
  const references = signedInfo ? childElements(signedInfo, NS.dsig, 'Reference') : [];
  if (references.length !== 1 || references[0]?.getAttribute('URI') !== `#${root.getAttribute('ID')}`) {
    throw new SamlSpError(
      'SAML_SIGNATURE_INVALID',
      'The logout message signature does not cover the message.',
      {
        hint: 'A signature must reference the element it protects; anything else is a signature-wrapping attempt.',
      },
    );
  }
}
