/** Shared pieces of the event tests: IdP metadata around chosen certificates, the admin API, a sign-in. */
import { certificateBase64 } from '../../src/core/keys.ts';
import { parseForm, TestBrowser } from '../helpers/browser.ts';

/** IdP metadata listing `certificatePems` as signing keys. */
export function metadataWith(entityId: string, certificatePems: readonly string[]): string {
  const keys = certificatePems
    .map(
      (pem) =>
        `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBase64(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
    )
    .join('');
  return (
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">` +
    `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">${keys}` +
    '<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>' +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${entityId}/sso"/>` +
    '</md:IDPSSODescriptor></md:EntityDescriptor>'
  );
}

/** A JSON admin API client for one server. */
export function adminApi(baseUrl: string, token: string) {
  return async function api<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${baseUrl}/admin/api${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
}

/** Signs alice in through the embedded IdP of the server at `baseUrl` (connection `dev`), over real HTTP. */
export async function signInAsAlice(baseUrl: string): Promise<TestBrowser> {
  const browser = new TestBrowser();
  const loginForm = await browser.follow(await browser.get(`${baseUrl}/saml/dev/login?returnTo=/`));
  const posting = await browser.follow(
    await browser.submit(parseForm(loginForm), { username: 'alice', password: 'alice-pass' }),
  );
  const done = await browser.submit(parseForm(posting));
  if (done.status !== 303 && done.status !== 302) {
    throw new Error(`sign-in failed: ${done.status} ${done.body.slice(0, 300)}`);
  }
  return browser;
}
