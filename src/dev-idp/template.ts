/**
 * The dev IdP's login response template for samlify. We supply our own rather than samlify's default so that we
 * decide the attributes (multi-valued `groups` needs one <AttributeValue> per value, which samlify's attribute
 * builder cannot express), and so that every value is XML-escaped in one place.
 *
 * The Assertion declares its own namespaces: it stays self-contained when samlify cuts it out to encrypt it, and
 * when an SP verifies it on its own after decryption.
 */
import { CM_BEARER, NAMEID_FORMATS, NS, STATUS_SUCCESS } from '../core/xml/namespaces.ts';

const ATTRNAME_FORMAT_BASIC = 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic';
export const AC_PASSWORD_PROTECTED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';

/** The template samlify receives as `loginResponseTemplate.context`. `{Name}` tags are filled by `fillTemplate`. */
export const LOGIN_RESPONSE_TEMPLATE = [
  `<samlp:Response xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="{ID}" Version="2.0"`,
  ` IssueInstant="{IssueInstant}" Destination="{Destination}"{InResponseToAttribute}>`,
  '<saml:Issuer>{Issuer}</saml:Issuer>',
  `<samlp:Status><samlp:StatusCode Value="${STATUS_SUCCESS}"/></samlp:Status>`,
  `<saml:Assertion xmlns:saml="${NS.assertion}" xmlns:xs="http://www.w3.org/2001/XMLSchema"`,
  ` xmlns:xsi="${NS.xsi}" ID="{AssertionID}" Version="2.0" IssueInstant="{IssueInstant}">`,
  '<saml:Issuer>{Issuer}</saml:Issuer>',
  `<saml:Subject><saml:NameID Format="${NAMEID_FORMATS.emailAddress}">{NameID}</saml:NameID>`,
  `<saml:SubjectConfirmation Method="${CM_BEARER}"><saml:SubjectConfirmationData`,
  ' NotOnOrAfter="{SubjectConfirmationDataNotOnOrAfter}" Recipient="{Recipient}"{InResponseToAttribute}/>',
  '</saml:SubjectConfirmation></saml:Subject>',
  '<saml:Conditions NotBefore="{NotBefore}" NotOnOrAfter="{NotOnOrAfter}">',
  '<saml:AudienceRestriction><saml:Audience>{Audience}</saml:Audience></saml:AudienceRestriction>',
  '</saml:Conditions>',
  '<saml:AuthnStatement AuthnInstant="{AuthnInstant}" SessionIndex="{SessionIndex}">',
  '<saml:AuthnContext><saml:AuthnContextClassRef>{AuthnContextClassRef}</saml:AuthnContextClassRef></saml:AuthnContext>',
  '</saml:AuthnStatement>',
  '{Attributes}',
  '</saml:Assertion></samlp:Response>',
].join('');

/** Every value the template needs, as plain text (escaping happens in `fillTemplate`). */
export interface LoginResponseValues {
  ID: string;
  AssertionID: string;
  IssueInstant: string;
  Destination: string;
  InResponseTo?: string;
  Issuer: string;
  NameID: string;
  Recipient: string;
  SubjectConfirmationDataNotOnOrAfter: string;
  NotBefore: string;
  NotOnOrAfter: string;
  Audience: string;
  AuthnInstant: string;
  /** How the user authenticated (default PasswordProtectedTransport: the dev IdP asks for a password). */
  AuthnContextClassRef: string;
  SessionIndex: string;
  /** Attribute name -> values; each value becomes its own <AttributeValue>. */
  attributes: Record<string, readonly string[]>;
}

/** Escapes text for use in XML content and double-quoted attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Fills `template` with `values`; throws on a tag it does not know, so a template typo cannot ship silently. */
export function fillTemplate(template: string, values: LoginResponseValues): string {
  const { attributes, InResponseTo, ...plain } = values;
  const filled: Record<string, string> = {
    InResponseToAttribute: InResponseTo === undefined ? '' : ` InResponseTo="${escapeXml(InResponseTo)}"`,
    Attributes: attributeStatement(attributes),
  };
  for (const [key, value] of Object.entries(plain)) filled[key] = escapeXml(value);
  return template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = filled[key];
    if (value === undefined) throw new Error(`dev IdP: the response template has an unknown tag {${key}}`);
    return value;
  });
}

function attributeStatement(attributes: Record<string, readonly string[]>): string {
  const entries = Object.entries(attributes).filter(([, values]) => values.length > 0);
  if (entries.length === 0) return '';
  const body = entries
    .map(([name, values]) => {
      const valueXml = values
        .map((v) => `<saml:AttributeValue xsi:type="xs:string">${escapeXml(v)}</saml:AttributeValue>`)
        .join('');
      return `<saml:Attribute Name="${escapeXml(name)}" NameFormat="${ATTRNAME_FORMAT_BASIC}">${valueXml}</saml:Attribute>`;
    })
    .join('');
  return `<saml:AttributeStatement>${body}</saml:AttributeStatement>`;
}
