/**
 * The benchmarks' HTTP clients, both keep-alive with at most `maxSockets` connections, no redirects followed,
 * the body read in full:
 *   - `lean` (the default): sockets of node:net, each request written in one write (request line, headers and
 *     body together) and each response read by a small parser of the shapes the servers under test answer
 *     (Content-Length, chunked, or no body). One request at a time per connection, as a browser does.
 *   - `node` (BENCH_HTTP_CLIENT=node): node:http with one pooled agent.
 * Why two: in bench:http the load generator plays four browsers and the IdP (an RSA-2048 signature, 0.28 ms, per
 * sign-in) on one core. With node:http's client (two writes per POST, the agent, the streams around every
 * message) it needed 0.63-1.02 ms per sign-in against the null SP, the lean client 0.50-0.56 ms (three
 * alternating pairs of runs): the rig's ceiling at concurrency 4 rose from 1,499 to 1,608 sign-ins/s in the
 * calmest pair. The lean client sends what node:http's does (the same request line and headers, Host and
 * Connection included, the form encoded alike); `node` stays to show that the choice changes the load
 * generator's cost, not the server's.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { inflateRawSync } from 'node:zlib';

export interface BenchResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  cookie?: string;
  form?: Record<string, string>;
  accept?: string;
}

export interface BenchClient {
  request(method: 'GET' | 'POST', url: string, options?: RequestOptions): Promise<BenchResponse>;
  close(): void;
}

export type BenchClientKind = 'lean' | 'node';

/** The client BENCH_HTTP_CLIENT names: `lean` (the default) or `node`. */
export function benchClientKind(): BenchClientKind {
  const kind = process.env.BENCH_HTTP_CLIENT ?? 'lean';
  if (kind === 'lean' || kind === 'node') return kind;
  throw new Error(`BENCH_HTTP_CLIENT must be "lean" or "node", not "${kind}"`);
}

/** A client of `kind` (by default the one BENCH_HTTP_CLIENT names) with at most `maxSockets` connections. */
export function benchClient(maxSockets: number, kind: BenchClientKind = benchClientKind()): BenchClient {
  return kind === 'node' ? new NodeHttpClient(maxSockets) : new LeanHttpClient(maxSockets);
}

/** A form body as browsers send it (application/x-www-form-urlencoded). */
function formBody(form: Record<string, string>): string {
  return Object.entries(form)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');
}

class NodeHttpClient implements BenchClient {
  readonly #agent: Agent;

  constructor(maxSockets: number) {
    this.#agent = new Agent({ keepAlive: true, maxSockets });
  }

  request(method: 'GET' | 'POST', url: string, options: RequestOptions = {}): Promise<BenchResponse> {
    const body = options.form ? formBody(options.form) : undefined;
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

class LeanHttpClient implements BenchClient {
  readonly #maxSockets: number;
  /** Idle connections by origin (`host:port`). */
  readonly #idle = new Map<string, LeanConnection[]>();
  readonly #all = new Set<LeanConnection>();
  /** Requests waiting for a connection, when `maxSockets` are busy. */
  readonly #queue: Array<() => void> = [];

  constructor(maxSockets: number) {
    this.#maxSockets = maxSockets;
  }

  async request(method: 'GET' | 'POST', url: string, options: RequestOptions = {}): Promise<BenchResponse> {
    const { host, hostname, port, pathname, search } = new URL(url);
    const body = options.form ? formBody(options.form) : '';
    let head = `${method} ${pathname}${search} HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\n`;
    if (options.cookie) head += `Cookie: ${options.cookie}\r\n`;
    if (options.accept) head += `Accept: ${options.accept}\r\n`;
    if (options.form) {
      head += `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
    }
    const connection = await this.#connection(host, hostname, Number(port || 80));
    try {
      return await connection.exchange(`${head}\r\n${body}`);
    } finally {
      this.#release(host, connection);
    }
  }

  close(): void {
    for (const connection of this.#all) connection.socket.destroy();
    this.#all.clear();
    this.#idle.clear();
  }

  async #connection(origin: string, hostname: string, port: number): Promise<LeanConnection> {
    for (;;) {
      const idle = this.#idle.get(origin)?.pop();
      if (idle?.closed) {
        this.#all.delete(idle);
        continue;
      }
      if (idle) return idle;
      if (this.#all.size < this.#maxSockets) {
        const connection = new LeanConnection(hostname, port);
        this.#all.add(connection);
        return connection;
      }
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    }
  }

  #release(origin: string, connection: LeanConnection): void {
    if (connection.closed) this.#all.delete(connection);
    else {
      const idle = this.#idle.get(origin);
      if (idle) idle.push(connection);
      else this.#idle.set(origin, [connection]);
    }
    this.#queue.shift()?.();
  }
}

const HEAD_END = Buffer.from('\r\n\r\n');

interface ResponseHead {
  status: number;
  headers: IncomingHttpHeaders;
  bodyStart: number;
  length: number | 'chunked';
}

/** One keep-alive connection: a request goes out in one write, its response comes back, then the next. */
class LeanConnection {
  readonly socket: Socket;
  closed = false;
  #buffered: Buffer = Buffer.alloc(0);
  #head: ResponseHead | undefined;
  #waiter: { resolve(response: BenchResponse): void; reject(error: Error): void } | undefined;

  constructor(hostname: string, port: number) {
    this.socket = connect({ host: hostname, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.socket.on('error', (error) => this.#fail(error));
    this.socket.on('close', () => this.#fail(new Error('the server closed the connection')));
  }

  #fail(error: Error): void {
    this.closed = true;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
  }

  exchange(request: string): Promise<BenchResponse> {
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
      // The body is base64 and ASCII: latin1 writes the string's bytes as they are.
      this.socket.write(request, 'latin1');
    });
  }

  #onData(chunk: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    try {
      this.#complete();
    } catch (error) {
      // A response this parser cannot read: the exchange fails (a failed sign-in), the connection is dropped.
      this.#fail(error as Error);
      this.socket.destroy();
    }
  }

  /** Resolves the waiting exchange once the buffered bytes hold a whole response. */
  #complete(): void {
    if (!this.#head) {
      const end = this.#buffered.indexOf(HEAD_END);
      if (end < 0) return;
      this.#head = parseHead(this.#buffered.toString('latin1', 0, end), end + HEAD_END.length);
    }
    const { status, headers, bodyStart, length } = this.#head;
    const body =
      length === 'chunked'
        ? dechunk(this.#buffered, bodyStart)
        : this.#buffered.length >= bodyStart + length
          ? this.#buffered.toString('utf8', bodyStart, bodyStart + length)
          : undefined;
    if (body === undefined) return;
    this.#buffered = Buffer.alloc(0);
    this.#head = undefined;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (String(headers.connection).toLowerCase() === 'close') {
      this.closed = true;
      this.socket.destroy();
    }
    waiter?.resolve({ status, headers, body });
  }
}

/** The status line and headers of a response (header names lowercased, Set-Cookie as a list). */
function parseHead(text: string, bodyStart: number): ResponseHead {
  const lines = text.split('\r\n');
  const status = Number(lines[0]?.split(' ')[1]);
  const headers: IncomingHttpHeaders = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'set-cookie') headers['set-cookie'] = [...(headers['set-cookie'] ?? []), value];
    else headers[name] = value;
  }
  const chunked = /\bchunked\b/i.test(String(headers['transfer-encoding'] ?? ''));
  return { status, headers, bodyStart, length: chunked ? 'chunked' : Number(headers['content-length'] ?? 0) };
}

/** The body of a chunked message once its last chunk (and the blank line after it) has arrived, else undefined. */
function dechunk(buffer: Buffer, start: number): string | undefined {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const sizeLine = buffer.toString('latin1', at, lineEnd);
    const size = Number.parseInt(sizeLine, 16);
    if (!/^[0-9a-f]+(;.*)?$/i.test(sizeLine) || !Number.isSafeInteger(size)) {
      throw new Error(`malformed chunk size line "${sizeLine.slice(0, 40)}"`);
    }
    if (size === 0) {
      return buffer.indexOf(HEAD_END, lineEnd) >= 0 ? Buffer.concat(parts).toString('utf8') : undefined;
    }
    if (buffer.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
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
