/**
 * Puts an outgoing logout message (the SP's LogoutRequest, or its LogoutResponse to the IdP) on a binding,
 * signed: HTTP-Redirect (detached query signature), HTTP-POST (enveloped signature, plain base64 form field)
 * or SOAP (enveloped signature, SOAP 1.1 envelope). The front-channel encodings are the AuthnRequest's.
 */
import { type MessageSigning, postBindingForm, redirectBindingUrl } from '../request/bindings.ts';
import { NS } from '../xml/namespaces.ts';
import { parseXml } from '../xml/parse.ts';
import { signXml } from '../xml/sign.ts';
import { wrapInSoapEnvelope } from './soap.ts';

/** A logout message ready to send. */
export type OutgoingLogoutMessage =
  /** Send the browser here (303). */
  | { binding: 'redirect'; url: string }
  /** Render an auto-posting form (renderAutoPostForm). */
  | { binding: 'post'; action: string; fields: Record<string, string> }
  /** The text/xml body of the SOAP answer. */
  | { binding: 'soap'; body: string };

/** Input of {@link encodeLogoutMessage}. */
export interface EncodeLogoutInput {
  binding: 'redirect' | 'post' | 'soap';
  /** The IdP endpoint (ignored for SOAP, whose answer rides the same HTTP exchange). */
  location: string;
  key: 'SAMLRequest' | 'SAMLResponse';
  xml: string;
  /** Front-channel only; returned unchanged by the peer. */
  relayState?: string;
  signing: MessageSigning;
}

/**
 * Encodes and signs a logout message for its binding.
 *
 * @example
 * ```ts
 * const out = encodeLogoutMessage({ binding: 'redirect', location: endpoint.location, key: 'SAMLRequest', xml,
 *   relayState: '/bye', signing: { privateKeyPem, certificatePem } });
 * if (out.binding === 'redirect') res.redirect(303, out.url);
 * ```
 */
export function encodeLogoutMessage(input: EncodeLogoutInput): OutgoingLogoutMessage {
  const relay = input.relayState ? { relayState: input.relayState } : {};
  switch (input.binding) {
    case 'redirect':
      return {
        binding: 'redirect',
        url: redirectBindingUrl({
          location: input.location,
          key: input.key,
          xml: input.xml,
          signing: input.signing,
          ...relay,
        }),
      };
    case 'post': {
      const form = postBindingForm({
        location: input.location,
        key: input.key,
        xml: input.xml,
        signing: input.signing,
        ...relay,
      });
      return { binding: 'post', action: form.action, fields: form.fields };
    }
    case 'soap': {
      const referenceId =
        parseXml(input.xml, { what: 'outgoing message' }).documentElement!.getAttribute('ID') ?? '';
      const signed = signXml(input.xml, {
        privateKeyPem: input.signing.privateKeyPem,
        certificatePem: input.signing.certificatePem,
        referenceId,
        insertAfter: { ns: NS.assertion, localName: 'Issuer' },
        ...(input.signing.algorithm ? { algorithm: input.signing.algorithm } : {}),
      });
      return { binding: 'soap', body: wrapInSoapEnvelope(signed) };
    }
  }
}
