/**
 * Short per-vendor steps for the customer's IdP admin: where each SP value goes in Okta, Entra ID, ADFS,
 * Google Workspace and Keycloak (sources: shared/research/idp-realities.md and the vendors' admin guides).
 */
import type { PresetName } from '../../../core/types.ts';
import { html, type SafeHtml } from '../../html.ts';

/** The SP values an IdP admin pastes. */
export interface SpValues {
  entityId: string;
  acsUrl: string;
  sloUrl: string;
  metadataUrl: string;
}

interface Vendor {
  name: string;
  steps: (sp: SpValues) => SafeHtml[];
}

const c = (value: string) => html`<code>${value}</code>`;

export const VENDORS: Record<Exclude<PresetName, 'generic'>, Vendor> = {
  okta: {
    name: 'Okta',
    steps: (sp) => [
      html`Admin Console → Applications → <em>Create App Integration</em> → SAML 2.0.`,
      html`<em>Single sign-on URL</em>: ${c(sp.acsUrl)} (keep “Use this for Recipient URL and Destination URL” checked).`,
      html`<em>Audience URI (SP Entity ID)</em>: ${c(sp.entityId)}. Name ID format: EmailAddress, application username: Email.`,
      html`Attribute statements: ${c('email')} = user.email, ${c('firstName')} = user.firstName, ${c('lastName')} = user.lastName; group attribute statement ${c('groups')} with a filter.`,
      html`Optional single logout: enable it under <em>Advanced</em>, Single Logout URL ${c(sp.sloUrl)}, SP Issuer ${c(sp.entityId)}, and upload the SP certificate below.`,
      html`On the <em>Sign On</em> tab copy the <em>Metadata URL</em> and use it for this connection: certificate rollovers are then picked up automatically.`,
    ],
  },
  entra: {
    name: 'Microsoft Entra ID',
    steps: (sp) => [
      html`Entra admin center → Enterprise applications → <em>New application</em> → <em>Create your own application</em> (non-gallery) → Single sign-on → SAML.`,
      html`<em>Basic SAML Configuration</em>: Identifier (Entity ID) ${c(sp.entityId)}, Reply URL (ACS) ${c(sp.acsUrl)}, Logout Url ${c(sp.sloUrl)}.`,
      html`<em>Attributes &amp; Claims</em>: the defaults (emailaddress, givenname, surname; “name” is the UPN) match the Entra preset. A groups claim sends group object IDs, not names.`,
      html`<em>SAML Certificates</em>: copy the <em>App Federation Metadata Url</em> and use it for this connection. The default “Sign SAML assertion” with SHA-256 is accepted.`,
      html`Assign the users or groups under <em>Users and groups</em>; unassigned users get AADSTS50105.`,
    ],
  },
  adfs: {
    name: 'AD FS',
    steps: (sp) => [
      html`AD FS Management → Relying Party Trusts → <em>Add Relying Party Trust</em> (claims aware) → import data published online: ${c(sp.metadataUrl)}.`,
      html`Or enter it manually: relying party identifier ${c(sp.entityId)}, SAML 2.0 WebSSO URL ${c(sp.acsUrl)}, SAML logout endpoint ${c(sp.sloUrl)}.`,
      html`Claim issuance policy: <em>Send LDAP Attributes as Claims</em> (E-Mail-Addresses → E-Mail Address, Given-Name → Given Name, Surname → Surname, Token-Groups – Unqualified Names → Group), then <em>Transform an Incoming Claim</em>: E-Mail Address → Name ID (Email).`,
      html`Use SHA-256: ${c('Set-AdfsRelyingPartyTrust -TargetName "<trust>" -SignatureAlgorithm http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')}.`,
      html`Metadata URL for this connection: ${c('https://<adfs-host>/FederationMetadata/2007-06/FederationMetadata.xml')}. It is signed: pin the token-signing certificate to verify it.`,
    ],
  },
  google: {
    name: 'Google Workspace',
    steps: (sp) => [
      html`Admin console → Apps → Web and mobile apps → <em>Add app</em> → <em>Add custom SAML app</em>; download the IdP metadata and upload it here.`,
      html`<em>Service provider details</em>: ACS URL ${c(sp.acsUrl)}, Entity ID ${c(sp.entityId)}; Name ID format EMAIL, Name ID: Basic Information › Primary email.`,
      html`Attribute mapping: Primary email → ${c('email')}, First name → ${c('firstName')}, Last name → ${c('lastName')}; Group membership → ${c('groups')} (at most 75 groups).`,
      html`Turn the app ON for the users’ organizational units, or Google answers app_not_configured_for_user.`,
      html`Google has no SAML single logout: signing out ends the session here only.`,
    ],
  },
  keycloak: {
    name: 'Keycloak',
    steps: (sp) => [
      html`Realm → Clients → <em>Create client</em>, type SAML, Client ID ${c(sp.entityId)}.`,
      html`Valid redirect URIs and Master SAML Processing URL: ${c(sp.acsUrl)}; under <em>Advanced</em>, Logout Service POST and Redirect binding URLs: ${c(sp.sloUrl)}.`,
      html`<em>Keys</em>: keep “Client signature required” on and import the SP certificate below; sign assertions with RSA_SHA256.`,
      html`Dedicated client scope → mappers: User Property email, firstName, lastName (same attribute names); Group list ${c('groups')} with Full group path off.`,
      html`Metadata URL for this connection: ${c('https://<host>/realms/<realm>/protocol/saml/descriptor')}.`,
    ],
  },
};

/** The instructions, the connection's own vendor first and open. */
export function vendorInstructions(preset: PresetName, sp: SpValues): SafeHtml {
  const order = (Object.keys(VENDORS) as (keyof typeof VENDORS)[]).sort(
    (a, b) => Number(b === preset) - Number(a === preset),
  );
  return html`${order.map(
    (key) => html`<details${key === preset ? html` open` : ''}><summary>${VENDORS[key].name}</summary>
<ol>${VENDORS[key].steps(sp).map((step) => html`<li>${step}</li>`)}</ol></details>`,
  )}`;
}
