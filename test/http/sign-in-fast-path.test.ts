/**
 * The sign-in fast path (src/http/sign-in-fast-path.ts) answers exactly as Express does. One server (as
 * `npm start` builds it, fast path on), and a second node:http server on the very same Express app (plain
 * Express: same SP, stores, dev IdP, logger). Every request goes to both; status, headers in wire order and
 * body must be equal once the values that differ per answer anyway (trace IDs, tokens, times, the
 * AuthnRequest) are masked, and so must the log lines each request writes. Counting `app.handle` calls
 * proves which requests the fast path took. Then the dispatcher itself, with a custom mount path: which
 * URLs it takes, and that the handlers see the request as Express's router shows it.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import express, { type ErrorRequestHandler, type Express, type Request } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTraceId, logContext, setTraceId } from '../../src/http/log-context.ts';
import { createLogger } from '../../src/http/logger.ts';
import { securityHeaders } from '../../src/http/security-headers.ts';
import { type HotHandler, type HotRoute, signInFastPath } from '../../src/http/sign-in-fast-path.ts';
import { StoreUnavailableError } from '../../src/store/errors.ts';
import { parseForm, TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

interface Answer {
  status: number;
  /** [name, value] in wire order, volatile values masked. */
  headers: [string, string][];
  body: string;
  /** The log lines the request wrote, masked. */
  logs: Record<string, unknown>[];
  /** Whether the request went through Express's app.handle. */
  viaExpress: boolean;
  raw: { headers: IncomingHttpHeaders; body: string };
}

let t: TestServer;
let plain: Server;
let plainPort = 0;
let handleCalls = 0;
let skewMs = 0;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  t = await startTestServer(
    // The SAML router's error handler shows it, /me's does not: a request answered by the wrong one differs.
    { SUPPORT_CONTACT: 'it-help@example.com' },
    {
      now: () => new Date(Date.now() + skewMs),
      logger: createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
    },
  );
  const app = t.server.app;
  watchHandle(app, () => handleCalls++);
  plain = createServer(app);
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  const address = plain.address();
  plainPort = typeof address === 'object' && address ? address.port : 0;
}, 60_000);
afterAll(async () => {
  await new Promise((resolve) => plain?.close(resolve));
  await t?.close();
});

/** Calls `onCall` for each request Express's `app.handle` is given (the app function calls it for each). */
function watchHandle(app: Express, onCall: (req: IncomingMessage) => void): void {
  const target = app as unknown as {
    handle(req: IncomingMessage, res: ServerResponse, next?: unknown): void;
  };
  const handle = target.handle.bind(app);
  target.handle = (req, res, next) => {
    onCall(req);
    handle(req, res, next);
  };
}

const TRACE_ID = /\b[0-9A-Z]{5}-[0-9A-Z]{5}\b/g;
const TOKEN = /=[A-Za-z0-9_-]{40,}/g;
const ISO_TIME = /\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d{3}Z)?/g;
const HTTP_DATE = /[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT/g;
const SIGNED_QUERY = /(SAMLRequest|Signature)=[^&]+/g;
/** SAML message and assertion IDs (the dev IdP's: `_` and 40 hex digits). */
const XML_ID = /\b_[0-9a-f]{32,}\b/g;

function mask(text: string): string {
  return text
    .replace(SIGNED_QUERY, '$1=…')
    .replace(TRACE_ID, 'TRACE-ID')
    .replace(XML_ID, '_ID')
    .replace(TOKEN, '=TOKEN')
    .replace(ISO_TIME, 'TIME')
    .replace(HTTP_DATE, 'DATE');
}

/** A log line, masked; of a 5xx's `cause` only its first line (the stack names each path's own frames). */
function maskLogLine(line: Record<string, unknown>): Record<string, unknown> {
  const masked = JSON.parse(mask(JSON.stringify(line))) as Record<string, unknown>;
  if (typeof masked.cause === 'string') masked.cause = masked.cause.split('\n')[0];
  return masked;
}

/** Headers that differ between any two answers (the clock) or follow from the body's random parts. */
const VOLATILE = new Set(['date', 'etag']);

interface Sent {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** One request to one port, raw: no header added but Host (and Content-Length for a body). */
function send(port: number, sent: Sent): Promise<Answer> {
  const before = { calls: handleCalls, lines: lines.length };
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: sent.method,
        path: sent.path,
        headers: sent.headers ?? {},
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const headers: [string, string][] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            const name = res.rawHeaders[i]!;
            if (!VOLATILE.has(name.toLowerCase())) headers.push([name, mask(res.rawHeaders[i + 1]!)]);
          }
          resolve({
            status: res.statusCode ?? 0,
            headers,
            body: mask(body),
            logs: lines.slice(before.lines).map(maskLogLine),
            viaExpress: handleCalls > before.calls,
            raw: { headers: res.headers, body },
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(sent.body);
  });
}

/** The same request to the fast-path server and to plain Express; asserts equal answers. */
async function both(sent: Sent, expectFast: boolean): Promise<Answer> {
  const fast = await send(t.port, sent);
  const viaExpress = await send(plainPort, sent);
  const { viaExpress: fastTookExpress, raw: _f, ...fastSeen } = fast;
  const { viaExpress: plainTookExpress, raw: _p, ...plainSeen } = viaExpress;
  expect(fastSeen, `${sent.method} ${sent.path}`).toEqual(plainSeen);
  expect(plainTookExpress).toBe(true);
  expect(fastTookExpress, `${sent.method} ${sent.path} through Express`).toBe(!expectFast);
  return fast;
}

const json = { accept: 'application/json' };
const html = { accept: 'text/html' };
const form = (body: string, headers: Record<string, string> = {}): Sent => ({
  method: 'POST',
  path: '/saml/dev/acs',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body,
});

/** The dev IdP's answer to a login started on `port`: the binding cookie and the ACS form's fields. */
async function idpAnswer(port: number): Promise<{ cookie: string; fields: Record<string, string> }> {
  const login = await send(port, { method: 'GET', path: '/saml/dev/login?returnTo=/after' });
  expect(login.status).toBe(302);
  const cookie = String(login.raw.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
  const b = new TestBrowser();
  const page = await b.get(String(login.raw.headers.location));
  const answer = await b.submit(parseForm(page), { username: 'alice', password: 'alice-pass' });
  return { cookie, fields: parseForm(answer).fields };
}

describe('the sign-in fast path answers as plain Express does', () => {
  it('login: the redirect to the IdP, with and without a binding cookie; its refusals; what stays with Express', async () => {
    const first = await both({ method: 'GET', path: '/saml/dev/login?returnTo=/after' }, true);
    expect(first.status).toBe(302);
    expect(first.headers.map(([name]) => name)).toEqual(
      expect.arrayContaining(['X-Content-Type-Options', 'Referrer-Policy', 'X-Frame-Options', 'Set-Cookie']),
    );
    const cookie = String(first.raw.headers['set-cookie']?.[0]).split(';')[0]!;
    const again = await both({ method: 'GET', path: '/saml/dev/login', headers: { cookie } }, true);
    expect(again.raw.headers['set-cookie']).toBeUndefined();

    for (const accept of [json, html]) {
      expect((await both({ method: 'GET', path: '/saml/nope/login', headers: accept }, true)).status).toBe(
        404,
      );
      const bad = await both(
        { method: 'GET', path: '/saml/dev/login?forceAuthn=maybe', headers: accept },
        true,
      );
      expect(bad.status).toBe(400);
      expect(bad.logs.map((l) => l.event)).toContain('saml.rejected');
      // Not the plain form of the path, or another method: Express answers, on both servers alike.
      expect((await both({ method: 'HEAD', path: '/saml/dev/login', headers: accept }, false)).status).toBe(
        302,
      );
      expect((await both({ method: 'PUT', path: '/saml/dev/login', headers: accept }, false)).status).toBe(
        405,
      );
      expect((await both({ method: 'POST', path: '/saml/dev/login', headers: accept }, false)).status).toBe(
        405,
      );
      await both({ method: 'GET', path: '/saml/dev/login/', headers: accept }, false);
      await both({ method: 'GET', path: '/SAML/dev/LOGIN', headers: accept }, false);
      await both({ method: 'GET', path: '/saml/d%65v/login', headers: accept }, false);
      expect((await both({ method: 'GET', path: '/saml/d%E0v/login', headers: accept }, false)).status).toBe(
        400,
      );
    }
  });

  it('ACS: every refusal class (invalid, malformed, too large, wrong type or charset, unknown connection, 405), as JSON and as a page', async () => {
    for (const accept of [json, html]) {
      const invalid = await both(form('SAMLResponse=bm90IHhtbA%3D%3D&RelayState=%2Fafter', accept), true);
      expect(invalid.status).toBe(400);
      // The log lines carry the trace ID the page shows (the log context).
      const traceId = /[0-9A-Z]{5}-[0-9A-Z]{5}/.exec(invalid.raw.body)?.[0];
      expect(lines.some((l) => l.event === 'saml.rejected' && l.traceId === traceId)).toBe(true);
      expect((await both(form('RelayState=%2Fafter', accept), true)).status).toBe(400);
      expect((await both(form('SAMLResponse=%', accept), true)).status).toBe(400);
      const tooMany = Array.from({ length: 11 }, (_, i) => `f${i}=x`).join('&');
      // body-parser's 413 for too many fields and 415 for a charset are the ACS's 400 SAML_MALFORMED
      // (saml-router.ts bodyError); only a body over the limit keeps its 413.
      expect((await both(form(tooMany, accept), true)).status).toBe(400);
      const huge = `SAMLResponse=${'A'.repeat(600 * 1024)}`;
      expect((await both(form(huge, accept), true)).status).toBe(413);
      const latin1 = form('SAMLResponse=x', {
        ...accept,
        'content-type': 'application/x-www-form-urlencoded; charset=latin1',
      });
      expect((await both(latin1, true)).status).toBe(400);
      const text = form('SAMLResponse=x', { ...accept, 'content-type': 'text/plain' });
      expect((await both(text, true)).status).toBe(400);
      const gzip = form('SAMLResponse=x', { ...accept, 'content-encoding': 'gzip' });
      await both(gzip, true);
      const unknown = await both({ ...form('SAMLResponse=x', accept), path: '/saml/nope/acs' }, true);
      expect(unknown.status).toBe(404);
      expect((await both({ method: 'GET', path: '/saml/dev/acs', headers: accept }, false)).status).toBe(405);
      expect((await both({ method: 'HEAD', path: '/saml/dev/acs', headers: accept }, false)).status).toBe(
        405,
      );
    }
  });

  it('a complete sign-in: the same 303 and session cookie on both; /me alike with the session, without, expired, and in a store outage', async () => {
    const answers = [];
    for (const port of [t.port, plainPort]) {
      const { cookie, fields } = await idpAnswer(port);
      answers.push(await send(port, form(new URLSearchParams(fields).toString(), { cookie })));
    }
    const [fast, viaExpress] = answers as [Answer, Answer];
    expect(fast.status).toBe(303);
    expect(fast.viaExpress).toBe(false);
    const { viaExpress: _a, raw: _b, ...fastSeen } = fast;
    const { viaExpress: _c, raw: _d, ...plainSeen } = viaExpress;
    expect(fastSeen).toEqual(plainSeen);
    expect(fast.headers).toContainEqual(['Location', '/after']);
    expect(fast.logs.map((l) => l.event)).toContain('saml.signed_in');

    const session = String(fast.raw.headers['set-cookie']?.[0]).split(';')[0]!;
    const me = await both({ method: 'GET', path: '/me', headers: { cookie: session, ...json } }, true);
    expect(me.status).toBe(200);
    expect(JSON.parse(me.raw.body)).toMatchObject({ email: 'alice@example.com', connectionId: 'dev' });
    await both({ method: 'GET', path: '/me?x=1', headers: { cookie: session, ...html } }, true);
    expect((await both({ method: 'HEAD', path: '/me', headers: { cookie: session } }, false)).status).toBe(
      200,
    );
    await both({ method: 'GET', path: '/me/', headers: { cookie: session } }, false);
    expect((await both({ method: 'GET', path: '/me', headers: json }, true)).status).toBe(401);
    expect(
      (await both({ method: 'GET', path: '/me', headers: { cookie: 'saml_sp_session=junk' } }, true)).status,
    ).toBe(401);

    skewMs = 30 * 24 * 3600_000;
    try {
      expect((await both({ method: 'GET', path: '/me', headers: { cookie: session } }, true)).status).toBe(
        401,
      );
    } finally {
      skewMs = 0;
    }
    // A store that cannot be reached: the router's error handler answers 503 on both paths.
    const sp = t.server.sp as unknown as { session?: () => Promise<unknown> };
    sp.session = () => Promise.reject(new StoreUnavailableError('sqlite', { reason: 'SQLITE_BUSY' }));
    try {
      for (const accept of [json, html]) {
        const down = await both(
          { method: 'GET', path: '/me', headers: { cookie: session, ...accept } },
          true,
        );
        expect(down.status).toBe(503);
        expect(down.headers).toContainEqual(['Retry-After', expect.any(String)]);
      }
    } finally {
      delete sp.session;
    }
  });

  it('keeps out of the way of other routes and of anyone tracing Express (diagnostics_channel)', async () => {
    await both({ method: 'GET', path: '/healthz' }, false);
    await both({ method: 'GET', path: '/saml/dev/metadata' }, false);
    await both({ method: 'GET', path: '/mess' }, false);
    const { tracingChannel } = await import('node:diagnostics_channel');
    const channel = tracingChannel('express.router.request');
    const seen: unknown[] = [];
    const subscriber = {
      start: (m: unknown) => seen.push(m),
      end() {},
      asyncStart() {},
      asyncEnd() {},
      error() {},
    };
    channel.subscribe(subscriber);
    try {
      await both({ method: 'GET', path: '/me' }, false);
      expect(seen.length).toBeGreaterThan(0);
    } finally {
      channel.unsubscribe(subscriber);
    }
  });
});

describe('signInFastPath, the dispatcher', () => {
  /** What a handler saw of the request, as Express's router shows it. */
  const seen = (req: Request) => ({
    params: { ...req.params },
    baseUrl: req.baseUrl,
    url: req.url,
    originalUrl: req.originalUrl,
    query: req.query,
    app: req.app === undefined ? 'none' : 'app',
  });
  const route = (name: string, log: unknown[]): HotRoute => ({
    handlers: [
      ((req, _res, next) => {
        log.push([name, 'first', seen(req as Request)]);
        next();
      }) as HotHandler,
      ((req, res) => {
        log.push([name, 'second']);
        if (req.query.fail === 'throw') throw new Error('thrown');
        if (req.query.fail === 'reject') return Promise.reject(new Error('rejected'));
        // The log context is this request's own: empty at first, then holding what the request set.
        const before = currentTraceId() ?? 'none';
        setTraceId(`${name}-trace`);
        res.type('text').send(`${name} ${req.params.connectionId ?? ''} ${before} ${currentTraceId()}`);
      }) as HotHandler,
    ],
    onError: ((err: Error, _req, res, next) => {
      if (String(err.message) === 'rejected') next(err);
      else res.status(500).type('text').send(`router error: ${err.message}`);
    }) as ErrorRequestHandler,
  });

  it('takes the plain form of the three routes under a custom mount, and hands everything else to the app', async () => {
    const log: unknown[] = [];
    const app = express();
    // The server's first two middlewares, which the fast path stands in for.
    app.use(logContext());
    app.use(securityHeaders());
    const login = route('login', log);
    const acs = route('acs', log);
    const me = route('me', log);
    const appError: ErrorRequestHandler = (err: Error, _req, res, _next) => {
      res.status(500).type('text').send(`app error: ${err.message}`);
    };
    // As the product mounts them: each route in a router that ends with its error handler.
    const saml = express.Router();
    saml.get('/:connectionId/login', ...login.handlers);
    saml.post('/:connectionId/acs', ...acs.handlers);
    saml.use(login.onError);
    app.use('/auth/saml', saml);
    const account = express.Router();
    account.get('/me', ...me.handlers);
    account.use(me.onError);
    app.use(account);
    app.use((_req, res) => {
      res.status(404).type('text').send('app');
    });
    app.use(appError);
    const listener = signInFastPath(app, { samlMount: '/auth/saml/', login, acs, me, appError });
    const servers = [createServer(listener), createServer(app)];
    const ports: number[] = [];
    for (const s of servers) {
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      ports.push((s.address() as { port: number }).port);
    }
    const call = async (port: number, method: string, path: string) => {
      const before = log.length;
      const r = await fetch(`http://127.0.0.1:${port}${path}`, { method });
      const headers: string[] = [];
      r.headers.forEach((value, name) => {
        if (!VOLATILE.has(name)) headers.push(`${name}: ${value}`);
      });
      return { status: r.status, headers, body: await r.text(), log: log.slice(before) };
    };
    try {
      const cases: [string, string, boolean][] = [
        ['GET', '/auth/saml/acme_1-x/login?returnTo=/a&x=1', true],
        ['POST', '/auth/saml/acme/acs', true],
        ['GET', '/me', true],
        ['GET', '/me?fail=throw', true],
        ['GET', '/auth/saml/acme/login?fail=reject', true],
        ['GET', '/auth/saml/acme/acs', false],
        ['POST', '/auth/saml/acme/login', false],
        ['HEAD', '/auth/saml/acme/login', false],
        ['GET', '/auth/saml/acme/login/', false],
        ['GET', '/auth/saml/ac%6De/login', false],
        ['GET', '/auth/saml/a.b/login', false],
        ['GET', '/saml/acme/login', false],
        ['GET', '/auth/saml/acme/loginx', false],
        ['GET', '/mine', false],
        ['POST', '/me', false],
      ];
      for (const [method, path, fast] of cases) {
        const [a, b] = [await call(ports[0]!, method, path), await call(ports[1]!, method, path)];
        expect(a, `${method} ${path}`).toEqual(b);
        void fast;
      }
      // The routes the fast path took never reached app.handle.
      const reached: string[] = [];
      watchHandle(app, (req) => reached.push(`${req.method} ${req.url}`));
      for (const [method, path, fast] of cases) {
        reached.length = 0;
        await call(ports[0]!, method, path);
        expect(reached.length, `${method} ${path}`).toBe(fast ? 0 : 1);
      }
    } finally {
      for (const s of servers) await new Promise((resolve) => s.close(resolve));
    }
  });
});
