/**
 * The two front-channel bindings for messages the SP sends (AuthnRequest, LogoutRequest, LogoutResponse).
 *
 * HTTP-Redirect: deflate + base64 in the query string; the signature is detached (SigAlg + Signature over the
 * query octets), never inside the XML. HTTP-POST: plain base64 of the XML in a form field; the signature is
 * enveloped in the XML, right after <Issuer>. The POST value is NOT deflated: bindings §3.5.4 says base64 only,
 * and IdPs such as SimpleSAMLphp cannot read a deflated POST message (node-saml 5.1 sends one).
 */
import { type SpKey, signerOf } from '../crypto/signer.ts';
import { InvalidOptionError } from '../errors.ts';
import { deflateAndEncode } from '../xml/encoding.ts';
import { NS } from '../xml/namespaces.ts';
import { parseXml } from '../xml/parse.ts';
import {
  type SigningAlgorithm,
  signRedirectQuery,
  signRedirectQueryWith,
  signXml,
  signXmlWith,
} from '../xml/sign.ts';

/**
 * The SP key that signs an outgoing message: a PEM private key, or a {@link Signer} that holds the key
 * elsewhere (then only the `…With` functions, which are async, can sign with it).
 */
export interface MessageSigning extends SpKey {
  certificatePem: string;
  /** Default 'rsa-sha256'. */
  algorithm?: SigningAlgorithm;
}

/** An outgoing protocol message and where it goes. */
export interface OutgoingMessage {
  /** The IdP endpoint (SingleSignOnService / SingleLogoutService Location). */
  location: string;
  key: 'SAMLRequest' | 'SAMLResponse';
  xml: string;
  relayState?: string;
  /** Sign the message; unsigned when absent. */
  signing?: MessageSigning;
}

/**
 * Builds the HTTP-Redirect URL for a message. A Location that already has a query string (Google's
 * `?idpid=…`) keeps it; our parameters are appended with '&'. A fragment is dropped: browsers never send it.
 *
 * @example
 * ```ts
 * const url = redirectBindingUrl({ location, key: 'SAMLRequest', xml, relayState, signing: sp.signing });
 * ```
 */
export function redirectBindingUrl(message: OutgoingMessage): string {
  const location = httpUrl(message.location).split('#')[0]!;
  const value = deflateAndEncode(message.xml);
  const query = message.signing
    ? signRedirectQuery({
        key: message.key,
        value,
        privateKeyPem: pemOf(message.signing),
        ...(message.relayState ? { relayState: message.relayState } : {}),
        ...(message.signing.algorithm ? { algorithm: message.signing.algorithm } : {}),
      })
    : unsignedQuery(message, value);
  return joinQuery(location, query);
}

/**
 * Like {@link redirectBindingUrl}, signing through the key's {@link Signer} (or its PEM key).
 *
 * @example
 * ```ts
 * const url = await redirectBindingUrlWith({ location, key: 'SAMLRequest', xml, signing: { certificatePem, signer } });
 * ```
 */
export async function redirectBindingUrlWith(message: OutgoingMessage): Promise<string> {
  const location = httpUrl(message.location).split('#')[0]!;
  const value = deflateAndEncode(message.xml);
  const query = message.signing
    ? await signRedirectQueryWith({
        key: message.key,
        value,
        signer: signerOf(message.signing),
        ...(message.relayState ? { relayState: message.relayState } : {}),
        ...(message.signing.algorithm ? { algorithm: message.signing.algorithm } : {}),
      })
    : unsignedQuery(message, value);
  return joinQuery(location, query);
}

function unsignedQuery(message: OutgoingMessage, value: string): string {
  const relay = message.relayState ? `&RelayState=${encodeURIComponent(message.relayState)}` : '';
  return `${message.key}=${encodeURIComponent(value)}${relay}`;
}

function joinQuery(location: string, query: string): string {
  const separator = !location.includes('?') ? '?' : /[?&]$/.test(location) ? '' : '&';
  return `${location}${separator}${query}`;
}

/**
 * Builds the HTTP-POST form for a message: the XML gets an enveloped signature after its <Issuer> (when
 * `signing` is set) and is base64-encoded without deflate.
 *
 * @example
 * ```ts
 * const { action, fields } = postBindingForm({ location, key: 'SAMLRequest', xml, signing: sp.signing });
 * ```
 */
export function postBindingForm(message: OutgoingMessage): {
  action: string;
  fields: Record<string, string>;
} {
  const action = httpUrl(message.location);
  const xml = message.signing
    ? signXml(message.xml, {
        ...enveloped(message.xml, message.signing),
        privateKeyPem: pemOf(message.signing),
      })
    : message.xml;
  return postFields(action, message, xml);
}

/**
 * Like {@link postBindingForm}, signing through the key's {@link Signer} (or its PEM key).
 *
 * @example
 * ```ts
 * const { action, fields } = await postBindingFormWith({ location, key: 'SAMLRequest', xml, signing });
 * ```
 */
export async function postBindingFormWith(message: OutgoingMessage): Promise<{
  action: string;
  fields: Record<string, string>;
}> {
  const action = httpUrl(message.location);
  const xml = message.signing
    ? await signXmlWith(message.xml, {
        ...enveloped(message.xml, message.signing),
        signer: signerOf(message.signing),
      })
    : message.xml;
  return postFields(action, message, xml);
}

/**
 * The enveloped-signature options of a protocol message: over its root ID, right after its <Issuer>.
 *
 * @example
 * ```ts
 * const signed = signXml(xml, { ...enveloped(xml, signing), privateKeyPem });
 * ```
 */
export function enveloped(xml: string, signing: MessageSigning) {
  const referenceId = parseXml(xml, { what: 'outgoing message' }).documentElement!.getAttribute('ID') ?? '';
  return {
    certificatePem: signing.certificatePem,
    referenceId,
    insertAfter: { ns: NS.assertion, localName: 'Issuer' },
    ...(signing.algorithm ? { algorithm: signing.algorithm } : {}),
  };
}

/** The PEM private key of a key the synchronous functions sign with. */
export function pemOf(signing: SpKey): string {
  if (signing.privateKeyPem) return signing.privateKeyPem;
  throw new InvalidOptionError(
    'This SP key signs through a Signer (its private key is elsewhere): use the async …With function.',
  );
}

function postFields(action: string, message: OutgoingMessage, xml: string) {
  const fields: Record<string, string> = { [message.key]: Buffer.from(xml, 'utf8').toString('base64') };
  if (message.relayState) fields.RelayState = message.relayState;
  return { action, fields };
}

function httpUrl(location: string): string {
  const url = URL.parse(location);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new InvalidOptionError(`The endpoint "${location}" is not an absolute http(s) URL.`);
  }
  return location;
}
