/**
 * Puts an outgoing logout message (the SP's LogoutRequest, or its LogoutResponse to the IdP) on a binding,
 * signed: HTTP-Redirect (detached query signature), HTTP-POST (enveloped signature, plain base64 form field)
 * or SOAP (enveloped signature, SOAP 1.1 envelope). The front-channel encodings are the AuthnRequest's.
 */
import { signerOf } from '../crypto/signer.ts';
import {
  enveloped,
  type MessageSigning,
  pemOf,
  postBindingForm,
  postBindingFormWith,
  redirectBindingUrl,
  redirectBindingUrlWith,
} from '../request/bindings.ts';
import { signXml, signXmlWith } from '../xml/sign.ts';
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
      const signed = signXml(input.xml, {
        ...enveloped(input.xml, input.signing),
        privateKeyPem: pemOf(input.signing),
      });
      return { binding: 'soap', body: wrapInSoapEnvelope(signed) };
    }
  }
}

/**
 * Like {@link encodeLogoutMessage}, signing through the key's {@link Signer} (a KMS, another process) or its
 * PEM key: what the SP's logout service uses, so that a key ring key outside the process signs logout too.
 *
 * @example
 * ```ts
 * const out = await encodeLogoutMessageWith({ binding: 'post', location, key: 'SAMLResponse', xml,
 *   signing: { certificatePem, signer } });
 * ```
 */
export async function encodeLogoutMessageWith(input: EncodeLogoutInput): Promise<OutgoingLogoutMessage> {
  const relay = input.relayState ? { relayState: input.relayState } : {};
  const message = {
    location: input.location,
    key: input.key,
    xml: input.xml,
    signing: input.signing,
    ...relay,
  };
  switch (input.binding) {
    case 'redirect':
      return { binding: 'redirect', url: await redirectBindingUrlWith(message) };
    case 'post': {
      const form = await postBindingFormWith(message);
      return { binding: 'post', action: form.action, fields: form.fields };
    }
    case 'soap': {
      const signed = await signXmlWith(input.xml, {
        ...enveloped(input.xml, input.signing),
        signer: signerOf(input.signing),
      });
      return { binding: 'soap', body: wrapInSoapEnvelope(signed) };
    }
  }
}
