/**
 * Step 4: the Response status. A non-success status is the IdP saying "no": it is reported with the IdP's own
 * codes and message, and with what those codes usually mean for an administrator.
 */
import type { Element } from '@xmldom/xmldom';
import { SamlSpError } from '../errors.ts';
import { NS, STATUS_SUCCESS } from '../xml/namespaces.ts';
import { singleChild, textOf } from '../xml/parse.ts';

const STATUS_PREFIX = 'urn:oasis:names:tc:SAML:2.0:status:';

// What the second-level codes usually mean in practice, for the admin reading the log.
const ADVICE: Record<string, string> = {
  Responder:
    'The IdP failed to process the request; its own log has the cause (ADFS: the AD FS/Admin event log).',
  Requester:
    'The IdP refused the request as malformed; check the SP entity ID and ACS URL registered at the IdP.',
  VersionMismatch: 'The IdP does not speak SAML 2.0 for this application.',
  AuthnFailed: 'The user could not be authenticated at the IdP.',
  InvalidNameIDPolicy:
    'The IdP cannot issue the requested NameID format: align the connection NameID format with the IdP application.',
  RequestDenied: 'The IdP denied the request: the user may not be assigned to the application.',
  NoPassive: 'Passive authentication was requested but the user has no IdP session.',
  NoAuthnContext: 'The IdP cannot satisfy the requested authentication context.',
  RequestUnsupported: 'The IdP does not support this kind of request.',
  UnknownPrincipal: 'The IdP does not know this user.',
};

/**
 * Throws SAML_STATUS_NOT_SUCCESS unless the top-level StatusCode is Success.
 *
 * @example
 * ```ts
 * checkStatus(responseElement);
 * ```
 */
export function checkStatus(response: Element): void {
  const status = singleChild(response, NS.protocol, 'Status');
  const top = status && singleChild(status, NS.protocol, 'StatusCode');
  if (!status || !top) {
    throw new SamlSpError('SAML_STRUCTURE_INVALID', 'The Response has no Status/StatusCode.', {
      hint: 'Every SAML Response must carry a status; the message is malformed.',
    });
  }
  const codes: string[] = [];
  for (let code: Element | undefined = top; code; code = singleChild(code, NS.protocol, 'StatusCode')) {
    codes.push(code.getAttribute('Value') ?? '');
  }
  if (codes[0] === STATUS_SUCCESS) return;

  const message = textOf(singleChild(status, NS.protocol, 'StatusMessage'))?.slice(0, 500);
  const short = codes.map((c) => (c.startsWith(STATUS_PREFIX) ? c.slice(STATUS_PREFIX.length) : c));
  const advice = [...short]
    .reverse()
    .map((c) => ADVICE[c])
    .find((a) => a !== undefined);
  throw new SamlSpError('SAML_STATUS_NOT_SUCCESS', `The IdP answered with status ${short.join(' / ')}.`, {
    hint: [
      `IdP status: ${short.join(' / ')}${message ? ` ("${message}")` : ''}.`,
      advice ?? 'Check the IdP logs for this request.',
    ].join(' '),
    details: { statusCodes: codes, ...(message ? { statusMessage: message } : {}) },
  });
}
