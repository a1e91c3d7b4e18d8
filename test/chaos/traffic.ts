/**
 * The chaos test's traffic: whole sign-ins (SP-initiated, and IdP-initiated for replay checks) spread over the
 * live instances step by step, as a load balancer without sticky sessions would, with every HTTP exchange
 * recorded: phase, instance, route, status, error code, Retry-After, and whether the body leaked a stack trace
 * or a server path. Responses are minted by the test fixture builder with the test IdP key.
 */
import { randomUUID } from 'node:crypto';
import { decodeAndInflate } from '../../src/core/xml/encoding.ts';
import { buildResponse, IDP_ENTITY_ID } from '../fixtures/build-response.ts';
import { CONNECTION_ID, type Instance } from './deployment.ts';

export interface Exchange {
  phase: string;
  /** ms since the run started */
  at: number;
  instance: string;
  route: string;
  /** HTTP status, or 0 when the connection failed (refused, reset: a killed instance). */
  status: number;
  code?: string;
  retryAfter?: string;
  /** The body shows a stack frame or a file path of the server. */
  leak: boolean;
  /** The first bytes of a body that broke a rule, to print. */
  sample?: string;
}

export interface SignInOutcome {
  ok: boolean;
  kind: 'sp' | 'idp';
  instance: string;
  startedAt: number;
  endedAt: number;
  /** Kept when the ACS accepted it: the response may be replayed later. */
  accepted?: { samlResponse: string; relayState?: string; issuedAt: number; kind: 'sp' | 'idp' };
  /** The session cookie, to check the session later. */
  cookie?: string;
  email: string;
}

/** The server's default session cookie name (SESSION_COOKIE_NAME is not set in the chaos deployment). */
const SESSION_COOKIE = 'saml_sp_session';

const STACK = /^\s*at\s.+:\d+:\d+\)?\s*$|\/(?:src|node_modules)\/\S+\.(?:ts|js)\b|\bnode:internal\b/m;

export class Recorder {
  phase = 'start';
  readonly exchanges: Exchange[] = [];
  readonly outcomes: SignInOutcome[] = [];
  /** When each phase began, in order. */
  readonly phases: { phase: string; at: number }[] = [];
  readonly t0 = performance.now();
  readonly repoPath: string;

  constructor(repoPath: string) {
    this.repoPath = repoPath;
  }

  now(): number {
    return Math.round(performance.now() - this.t0);
  }

  /** Enters a phase; with CHAOS_TRACE set, says so on stderr at once (vitest prints console output late). */
  enter(phase: string): void {
    this.phase = phase;
    this.phases.push({ phase, at: this.now() });
    this.mark(`phase ${phase}`);
  }

  /** The phase the run was in at `at` (ms since the start). */
  phaseAt(at: number): string {
    let current = 'start';
    for (const p of this.phases) {
      if (p.at > at) break;
      current = p.phase;
    }
    return current;
  }

  mark(what: string): void {
    if (process.env.CHAOS_TRACE) process.stderr.write(`chaos +${this.now()} ms: ${what}\n`);
  }

  record(instance: string, route: string, status: number, body: string, headers?: Headers): Exchange {
    const code = codeOf(body);
    const leak = STACK.test(body) || body.includes(this.repoPath);
    const retryAfter = headers?.get('retry-after') ?? undefined;
    const exchange: Exchange = {
      phase: this.phase,
      at: this.now(),
      instance,
      route,
      status,
      ...(code === undefined ? {} : { code }),
      ...(retryAfter === undefined ? {} : { retryAfter }),
      leak,
      ...(leak || status >= 500 ? { sample: body.slice(0, 300) } : {}),
    };
    this.exchanges.push(exchange);
    return exchange;
  }
}

function codeOf(body: string): string | undefined {
  try {
    const json = JSON.parse(body) as { error?: { code?: unknown } };
    if (typeof json.error?.code === 'string') return json.error.code;
  } catch {
    // HTML: the page shows the code.
  }
  return /\b(SAML_[A-Z_]+|STORE_UNAVAILABLE|[A-Z]+_UNAVAILABLE|INTERNAL_ERROR)\b/.exec(body)?.[1];
}

/** Picks a live instance at random, as a load balancer with health checks would. */
export class Balancer {
  readonly instances: readonly Instance[];
  constructor(instances: readonly Instance[]) {
    this.instances = instances;
  }
  pick(): Instance {
    const live = this.instances.filter((i) => i.alive);
    const pool = live.length > 0 ? live : this.instances;
    return pool[Math.floor(Math.random() * pool.length)] as Instance;
  }
}

interface Answer {
  status: number;
  body: string;
  headers: Headers;
}

/** One browser: a cookie jar for the one host both instances share. */
class Browser {
  readonly cookies = new Map<string, string>();
  readonly rec: Recorder;
  constructor(rec: Recorder) {
    this.rec = rec;
  }

  async send(
    instance: Instance,
    route: string,
    pathAndQuery: string,
    init: { method?: string; form?: Record<string, string>; accept?: string } = {},
  ): Promise<Answer | undefined> {
    const headers: Record<string, string> = { accept: init.accept ?? 'text/html' };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    try {
      const response = await fetch(`${instance.origin}${pathAndQuery}`, {
        method: init.method ?? (init.form ? 'POST' : 'GET'),
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(15_000),
        ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
      });
      const body = await response.text();
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
      this.rec.record(instance.name, route, response.status, body, response.headers);
      return { status: response.status, body, headers: response.headers };
    } catch (error) {
      // Keep why: a refused or reset connection (a killed instance) reads differently from a timeout.
      const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause : error) : undefined;
      const exchange = this.rec.record(instance.name, route, 0, '');
      exchange.sample = cause ? `${cause.name}: ${cause.message}` : String(error);
      return undefined;
    }
  }
}

export interface TrafficContext {
  rec: Recorder;
  lb: Balancer;
  baseUrl: string;
}

function acsUrl(ctx: TrafficContext): string {
  return `${ctx.baseUrl}/saml/${CONNECTION_ID}/acs`;
}

async function mint(ctx: TrafficContext, email: string, inResponseTo: string | null): Promise<string> {
  return buildResponse({
    now: new Date(),
    issuer: IDP_ENTITY_ID,
    inResponseTo,
    audience: ctx.baseUrl,
    destination: acsUrl(ctx),
    recipient: acsUrl(ctx),
    signingKey: 'idp',
    responseId: `_r${randomUUID()}`,
    assertionId: `_a${randomUUID()}`,
    nameId: email,
    sessionIndex: `_s${randomUUID()}`,
    attributes: [
      { name: 'email', values: [email] },
      { name: 'firstName', values: ['Chaos'] },
      { name: 'lastName', values: [email.split('@')[0] ?? 'user'] },
    ],
  });
}

/**
 * One sign-in to the end: (SP-initiated) login on one instance, the ACS on another, /me on a third pick; or
 * (IdP-initiated) an unsolicited response posted to the ACS, then /me. `pin` keeps every step on one
 * instance (the recovery probes).
 */
export async function signIn(
  ctx: TrafficContext,
  email: string,
  options: { kind?: 'sp' | 'idp'; pin?: Instance; accept?: string } = {},
): Promise<SignInOutcome> {
  const kind = options.kind ?? 'sp';
  const browser = new Browser(ctx.rec);
  const pick = () => options.pin ?? ctx.lb.pick();
  const startedAt = ctx.rec.now();
  const first = pick();
  const fail = (): SignInOutcome => ({
    ok: false,
    kind,
    instance: first.name,
    startedAt,
    endedAt: ctx.rec.now(),
    email,
  });
  let inResponseTo: string | null = null;
  let relayState: string | undefined;
  if (kind === 'sp') {
    const login = await browser.send(first, 'login', `/saml/${CONNECTION_ID}/login?returnTo=/chaos`);
    if (login?.status !== 302) return fail();
    const location = new URL(login.headers.get('location') ?? '', ctx.baseUrl);
    inResponseTo =
      /\bID="([^"]+)"/.exec(decodeAndInflate(location.searchParams.get('SAMLRequest') ?? ''))?.[1] ?? null;
    relayState = location.searchParams.get('RelayState') ?? undefined;
    if (inResponseTo === null) return fail();
  }
  const samlResponse = await mint(ctx, email, inResponseTo);
  const issuedAt = ctx.rec.now();
  const acsAt = kind === 'sp' ? pick() : first;
  const form = {
    SAMLResponse: samlResponse,
    ...(relayState === undefined ? {} : { RelayState: relayState }),
  };
  const acs = await browser.send(acsAt, 'acs', `/saml/${CONNECTION_ID}/acs`, {
    form,
    accept: options.accept ?? (Math.random() < 0.5 ? 'application/json' : 'text/html'),
  });
  if (acs?.status !== 303) return fail();
  const accepted = { samlResponse, ...(relayState === undefined ? {} : { relayState }), issuedAt, kind };
  const me = await browser.send(pick(), 'me', '/me', { accept: 'application/json' });
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return {
    ok: me?.status === 200,
    kind,
    instance: first.name,
    startedAt,
    endedAt: ctx.rec.now(),
    accepted,
    cookie,
    email,
  };
}

/** An IdP-initiated response minted ahead of time, so that a probe spends no time signing. */
export async function mintAhead(ctx: TrafficContext, email: string): Promise<string> {
  return mint(ctx, email, null);
}

/**
 * The recovery probe: a login (the AuthnRequest is stored), then a response minted ahead posted to the ACS
 * (replay record, user, session), then /me, all on one instance. It measures the server, not the test's own
 * signing, so that "within 2 s of the store's return" is about the SP.
 */
export async function probe(
  ctx: TrafficContext,
  instance: Instance,
  samlResponse: string,
  email: string,
): Promise<SignInOutcome> {
  const browser = new Browser(ctx.rec);
  const startedAt = ctx.rec.now();
  const done = (ok: boolean): SignInOutcome => ({
    ok,
    kind: 'idp',
    instance: instance.name,
    startedAt,
    endedAt: ctx.rec.now(),
    email,
  });
  const login = await browser.send(instance, 'login', `/saml/${CONNECTION_ID}/login?returnTo=/probe`);
  if (login?.status !== 302) return done(false);
  const acs = await browser.send(instance, 'acs', `/saml/${CONNECTION_ID}/acs`, {
    form: { SAMLResponse: samlResponse },
    accept: 'application/json',
  });
  if (acs?.status !== 303) return done(false);
  const me = await browser.send(instance, 'me', '/me', { accept: 'application/json' });
  return done(me?.status === 200);
}

/** Posts a response the ACS accepted once before; anything but a refusal is a replay accepted. */
export async function replay(
  ctx: TrafficContext,
  accepted: NonNullable<SignInOutcome['accepted']>,
): Promise<{ accepted: boolean; status: number; code?: string }> {
  const browser = new Browser(ctx.rec);
  const at = ctx.lb.pick();
  const answer = await browser.send(at, 'replay', `/saml/${CONNECTION_ID}/acs`, {
    form: {
      SAMLResponse: accepted.samlResponse,
      ...(accepted.relayState === undefined ? {} : { RelayState: accepted.relayState }),
    },
    accept: 'application/json',
  });
  const exchange = ctx.rec.exchanges.at(-1);
  // A refusal sets no session cookie; an acceptance answers 303 and sets one.
  const session = [...browser.cookies].some(([name, value]) => name === SESSION_COOKIE && value !== '');
  return {
    accepted: answer?.status === 303 || session,
    status: answer?.status ?? 0,
    ...(exchange?.code === undefined ? {} : { code: exchange.code }),
  };
}

/** GET /me with a session cookie from earlier: is the session still there? */
export async function sessionAlive(ctx: TrafficContext, cookie: string): Promise<number> {
  const browser = new Browser(ctx.rec);
  for (const part of cookie.split('; ')) {
    const eq = part.indexOf('=');
    if (eq > 0) browser.cookies.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const answer = await browser.send(ctx.lb.pick(), 'session', '/me', { accept: 'application/json' });
  return answer?.status ?? 0;
}

/**
 * Bounded load: `workers` loops, each signing in one user after another (one in five IdP-initiated) from a
 * pool of `users`, until `stop()`; every outcome lands in the recorder.
 */
export function startLoad(ctx: TrafficContext, workers: number, users: string[]): { stop(): Promise<void> } {
  let running = true;
  const loops = Array.from({ length: workers }, async (_, w) => {
    let n = w;
    while (running) {
      const email = users[n++ % users.length] ?? 'nobody@chaos.test';
      const outcome = await signIn(ctx, email, { kind: Math.random() < 0.2 ? 'idp' : 'sp' });
      ctx.rec.outcomes.push(outcome);
      // A failed sign-in (an outage) waits a little, as a user would, instead of spinning.
      if (!outcome.ok) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}
