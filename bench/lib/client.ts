/**
 * A small keep-alive HTTP client for the benchmarks: node:http with one pooled agent, no redirects followed,
 * the body read in full. Lighter on the load generator's core than fetch, which matters when the server under
 * test answers a request in a fraction of a millisecond.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { inflateRawSync } from 'node:zlib';

export interface BenchResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export class BenchClient {
  readonly #agent: Agent;

  constructor(maxSockets: number) {
    this.#agent = new Agent({ keepAlive: true, maxSockets });
  }

  request(
    method: 'GET' | 'POST',
    url: string,
    options: { cookie?: string; form?: Record<string, string>; accept?: string } = {},
  ): Promise<BenchResponse> {
    const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
    const headers: Record<string, string> = {};
    if (options.cookie) headers.cookie = options.cookie;
    if (options.accept) headers.accept = options.accept;
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { method, headers, agent: this.#agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** The first cookie a response sets, as `name=value` for the next request's Cookie header. */
export function firstCookie(res: BenchResponse): string {
  const set = res.headers['set-cookie'];
  return (set?.[0] ?? '').split(';')[0] ?? '';
}

/** The ID of the AuthnRequest in a Redirect-binding URL (SAMLRequest: base64 of raw DEFLATE). */
export function authnRequestIdOf(location: string): string {
  const url = new URL(location);
  const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString(
    'utf8',
  );
  const id = /\bID="([^"]+)"/.exec(xml)?.[1];
  if (!id) throw new Error(`no AuthnRequest ID in ${location.slice(0, 200)}`);
  return id;
}

/** The product's connection as the admin API created it, and the server's own base URL. */
export interface ProductTarget {
  base: string;
  spEntityId: string;
  /** The ACS URL as the SP announces it (the response's Destination and Recipient). */
  acsUrl: string;
}

/**
 * One complete sign-in at the product (`saml-sp serve`), as a new browser: GET the login route (a pending
 * request and its browser-key cookie) -> the IdP's answer to that request POSTed to the ACS -> GET /me with the
 * session cookie. Throws with the step and status on any unexpected answer. Shared by bench:http and
 * bench:memory.
 */
export async function productSignIn(
  client: BenchClient,
  target: ProductTarget,
  mint: (input: { inResponseTo: string; audience: string; acsUrl: string }) => string,
): Promise<void> {
  const login = await client.request('GET', `${target.base}/saml/bench/login?returnTo=/home`);
  if (login.status !== 302) throw new Error(`login: ${login.status} ${login.body.slice(0, 200)}`);
  const samlResponse = mint({
    inResponseTo: authnRequestIdOf(String(login.headers.location)),
    audience: target.spEntityId,
    acsUrl: target.acsUrl,
  });
  // The ACS on this server, whatever host the SP's base URL names.
  const acs = await client.request('POST', target.acsUrl.replace(/^https?:\/\/[^/]+/, target.base), {
    cookie: firstCookie(login),
    form: { SAMLResponse: samlResponse, RelayState: '/home' },
  });
  if (acs.status !== 303) throw new Error(`acs: ${acs.status} ${acs.body.slice(0, 300)}`);
  const me = await client.request('GET', `${target.base}/me`, {
    cookie: firstCookie(acs),
    accept: 'application/json',
  });
  if (me.status !== 200) throw new Error(`me: ${me.status} ${me.body.slice(0, 200)}`);
}
