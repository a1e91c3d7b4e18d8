/**
 * Environment -> resolved, frozen configuration. The only place that reads process.env (CONTRACT.md lists the
 * variables). Everything below this file receives plain options.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { parseRedisTarget } from './store/redis/target.ts';

/** A duration in milliseconds from the environment: a whole number within [min, max]. */
const millis = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** The names Express (proxy-addr) knows for address ranges. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: which hops may set X-Forwarded-For, so that `req.ip` (the admin sign-in throttle's key, the
 * logs) is the client's address and not the proxy's. Unset or `false`: the socket address, whatever the
 * headers say. A number: that many hops in front of the app. A comma-separated list of addresses, CIDR
 * ranges or `loopback` / `linklocal` / `uniquelocal`: those proxies. `true` trusts every hop, so any client
 * can forge its address; use it only when the proxy in front overwrites X-Forwarded-For.
 */
const trustProxySchema = z
  .string()
  .trim()
  .min(1)
  .transform((value, ctx): boolean | number | string[] => {
    if (value === 'true') return true;
    if (value === 'false') return false;
    if (/^\d+$/.test(value)) return Number(value);
    const items = value.split(',').map((item) => item.trim());
    for (const item of items) {
      const [address = '', prefix, extra] = item.split('/');
      const family = isIP(address);
      const prefixOk =
        prefix === undefined ||
        (/^\d+$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32) && extra === undefined);
      if (!PROXY_RANGE_NAMES.has(item) && (family === 0 || !prefixOk)) {
        ctx.addIssue({
          code: 'custom',
          message: `"${item}" is not true, false, a hop count, an address, a CIDR range or loopback/linklocal/uniquelocal`,
        });
        return z.NEVER;
      }
    }
    return items;
  });

/**
 * DNS_SERVERS: the resolvers domain verification asks, comma-separated `IP`, `IP:port` or `[IPv6]:port`
 * (node:dns wants addresses, not names). Unset: the system's resolvers.
 */
const dnsServersSchema = z
  .string()
  .trim()
  .min(1)
  .transform((value, ctx): string[] => {
    const servers = value.split(',').map((s) => s.trim());
    for (const server of servers) {
      const address = /^\[(.+)\](?::\d+)?$/.exec(server)?.[1] ?? server.replace(/:(\d+)$/, '');
      const port = /:(\d+)$/.exec(server)?.[1];
      if (isIP(address) === 0 || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
        ctx.addIssue({ code: 'custom', message: `"${server}" is not an IP address with an optional :port` });
        return z.NEVER;
      }
    }
    return servers;
  });

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  SP_ENTITY_ID: z.string().min(1).optional(),
  DATABASE_URL: z.string().min(1).default('sqlite:data/saml-sp.db'),
  SESSION_COOKIE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .default('saml_sp_session'),
  // One server, a Cluster or Sentinel (store/redis/target.ts reads the forms); checked here so a typo stops
  // the start with the variable's name, before anything connects.
  REDIS_URL: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      if (value === undefined || value.trim() === '') return;
      try {
        parseRedisTarget(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      }
    }),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  ADMIN_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  SP_KEY_FILE: z.string().optional(),
  SP_CERT_FILE: z.string().optional(),
  SP_ENCRYPTION_KEY_FILE: z.string().optional(),
  SP_ENCRYPTION_CERT_FILE: z.string().optional(),
  DEV_IDP: z.enum(['on', 'off', 'true', 'false', '1', '0']).optional(),
  CERTS_DIR: z.string().default('certs'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  TRUST_PROXY: trustProxySchema.optional(),
  DNS_SERVERS: dnsServersSchema.optional(),
  HOME_LISTS_CONNECTIONS: z.enum(['true', 'false', 'on', 'off', '1', '0']).optional(),
  // The OpenID bridge (issue #17): off unless asked for.
  OIDC_BRIDGE: z.enum(['on', 'off', 'true', 'false', '1', '0']).optional(),
  OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  OIDC_RESOURCES: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/, error: 'each resource must be an absolute http(s) URL' }))),
  OIDC_KEY_ROTATION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  // Slow clients are cut off by the server (Node's own defaults are 60 s and 300 s).
  HTTP_HEADERS_TIMEOUT_MS: millis(10_000, 100, 600_000),
  HTTP_REQUEST_TIMEOUT_MS: millis(30_000, 100, 600_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: millis(5_000, 100, 3_600_000),
  // The sign-in routes (login, ACS, /me) answered without walking Express's stack (src/http/sign-in-fast-path.ts).
  HTTP_FAST_PATH: z.enum(['on', 'off', 'true', 'false', '1', '0']).default('on'),
  SHUTDOWN_TIMEOUT_MS: millis(10_000, 100, 600_000),
  // Sign-in traces (issue #13): how long they are kept, how many at most, and how many unverified attempts
  // (anybody's POSTs) are traced per connection and minute.
  TRACE_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(7),
  TRACE_MAX_COUNT: z.coerce.number().int().min(100).max(10_000_000).default(100_000),
  TRACE_UNVERIFIED_PER_MINUTE: z.coerce.number().int().min(0).max(10_000).default(60),
  // Successful attempts' traces are written in batches this often (failures at once); 0 writes each at once.
  TRACE_FLUSH_MS: millis(1_000, 0, 60_000),
  // 32 bytes, base64: seals captured raw messages. Unset: derived from the SP encryption key (HKDF).
  TRACE_CAPTURE_KEY: z
    .string()
    .optional()
    .refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, '32 bytes, base64-encoded'),
  // Who end users should contact when a sign-in fails (an address, a phone number or a URL).
  SUPPORT_CONTACT: z.string().trim().min(1).max(200).optional(),
  // Prometheus text at GET /metrics: off unless asked for, and then only for the bearer of METRICS_TOKEN.
  METRICS: z.enum(['on', 'off', 'true', 'false', '1', '0']).default('off'),
  METRICS_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  // Webhook delivery (issue #13): how often the outbox is read, the retry backoff and when to give up.
  WEBHOOK_TICK_MS: millis(1_000, 10, 3_600_000),
  WEBHOOK_RETRY_BASE_MS: millis(5_000, 10, 86_400_000),
  WEBHOOK_RETRY_MAX_MS: millis(3_600_000, 10, 7 * 86_400_000),
  WEBHOOK_MAX_AGE_MS: millis(3 * 86_400_000, 1_000, 30 * 86_400_000),
  WEBHOOK_TIMEOUT_MS: millis(10_000, 100, 120_000),
  // The certificate expiry watch runs at start and then this often (daily).
  CERTIFICATE_WATCH_INTERVAL_MS: millis(86_400_000, 1_000, 7 * 86_400_000),
  // Successful sign-ins are counted in memory and written to the connection health this often (0: at once).
  HEALTH_FLUSH_MS: millis(5_000, 0, 600_000),
});

/** Rules across variables. */
const checkedEnvSchema = envSchema
  .refine((e) => e.HTTP_HEADERS_TIMEOUT_MS <= e.HTTP_REQUEST_TIMEOUT_MS, {
    path: ['HTTP_HEADERS_TIMEOUT_MS'],
    message: 'must not exceed HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)',
  })
  .refine((e) => !isOn(e.METRICS) || e.METRICS_TOKEN !== undefined, {
    path: ['METRICS_TOKEN'],
    message:
      'is required when METRICS=on (Prometheus scrapes /metrics with `Authorization: Bearer $METRICS_TOKEN`)',
  })
  .refine((e) => e.WEBHOOK_RETRY_BASE_MS <= e.WEBHOOK_RETRY_MAX_MS, {
    path: ['WEBHOOK_RETRY_BASE_MS'],
    message: 'must not exceed WEBHOOK_RETRY_MAX_MS',
  });

function isOn(value: string): boolean {
  return ['on', 'true', '1'].includes(value);
}

export interface ResolvedConfig {
  port: number;
  host: string;
  baseUrl: string;
  spEntityId: string;
  databaseUrl: string;
  sessionCookieName: string;
  redisUrl?: string;
  /** The Sentinels' own password (REDIS_SENTINEL_PASSWORD), for `redis+sentinel://` URLs. */
  redisSentinelPassword?: string;
  adminToken?: string;
  certsDir: string;
  keyFiles: { signingKey: string; signingCert: string; encryptionKey: string; encryptionCert: string };
  devIdp: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Express's 'trust proxy' setting, from TRUST_PROXY: false (the default) trusts no forwarding header. */
  trustProxy: boolean | number | string[];
  /** Server-side limits on slow clients (node:http `headersTimeout`, `requestTimeout`, `keepAliveTimeout`). */
  http: { headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number };
  /** SIGTERM/SIGINT: in-flight requests get this long to finish; the process exits by then at the latest. */
  shutdownTimeoutMs: number;
  /** Sign-in traces: retention, size cap, unverified budget and the raw-capture key (TRACE_*). */
  traces: {
    retentionDays: number;
    maxCount: number;
    unverifiedPerMinute: number;
    captureKey?: Buffer;
    /**
     * TRACE_FLUSH_MS: successful attempts' traces wait in memory and are written in one batch this often and at
     * shutdown; a failure's trace is written at once. Default 1000; 0 writes every trace at once.
     */
    flushMs?: number;
  };
  /** SUPPORT_CONTACT: shown on the end-user error page. */
  supportContact?: string;
  /** METRICS=on: Prometheus text at GET /metrics for the bearer of `token` (METRICS_TOKEN). */
  metrics?: { token: string };
  /** Webhook delivery: outbox polling, retry backoff (exponential with jitter), give-up age, request timeout. */
  webhooks?: {
    tickMs: number;
    retryBaseMs: number;
    retryMaxMs: number;
    maxAgeMs: number;
    timeoutMs: number;
  };
  /** How often the certificate expiry watch runs (CERTIFICATE_WATCH_INTERVAL_MS). Default daily. */
  certificateWatchIntervalMs?: number;
  /**
   * HEALTH_FLUSH_MS: successful sign-ins are counted in memory and written to the connection health this
   * often (failures at once); 0 writes each at once. Default 5 s.
   */
  healthFlushMs?: number;
  /** DNS_SERVERS: the resolvers domain verification asks; unset, the system's. */
  dnsServers?: readonly string[];
  /**
   * HOME_LISTS_CONNECTIONS: the public home page lists a sign-in button per connection. Off by default (the
   * list would reveal the customer list); the home page offers "Sign in with your work email" instead.
   */
  homeListsConnections?: boolean;
  /**
   * HTTP_FAST_PATH: the three requests of a sign-in (GET /saml/:id/login, POST /saml/:id/acs, GET /me) go
   * straight to their handlers instead of through Express's stack; same answers. Default on; off is for
   * comparing the two (tests, bench:http). Unset counts as on.
   */
  httpFastPath?: boolean;
  /** OIDC_BRIDGE and friends: the OpenID Provider in front of the SAML connections (README "OpenID bridge"). */
  oidc?: { issuer: string; resources: readonly string[]; keyRotationDays: number };
}

/** Thrown when the environment is invalid; the CLI prints it and exits 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Validates the environment. `devIdpDefault` is true under `npm start` (CONTRACT.md: on under npm start, off
 * otherwise); DEV_IDP wins when set.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  options: { devIdpDefault?: boolean; cwd?: string } = {},
): ResolvedConfig {
  const parsed = checkedEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid environment: ${problems}`);
  }
  const e = parsed.data;
  const cwd = options.cwd ?? process.cwd();
  const baseUrl = (e.BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const certsDir = path.resolve(cwd, e.CERTS_DIR);
  const inCerts = (name: string) => path.join(certsDir, name);
  const devIdp =
    e.DEV_IDP === undefined ? (options.devIdpDefault ?? false) : ['on', 'true', '1'].includes(e.DEV_IDP);
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    baseUrl,
    spEntityId: e.SP_ENTITY_ID ?? baseUrl,
    databaseUrl: e.DATABASE_URL,
    sessionCookieName: e.SESSION_COOKIE_NAME,
    ...(e.REDIS_URL?.trim() ? { redisUrl: e.REDIS_URL.trim() } : {}),
    ...(e.REDIS_SENTINEL_PASSWORD ? { redisSentinelPassword: e.REDIS_SENTINEL_PASSWORD } : {}),
    ...(e.ADMIN_TOKEN ? { adminToken: e.ADMIN_TOKEN } : {}),
    certsDir,
    keyFiles: {
      signingKey: e.SP_KEY_FILE ? path.resolve(cwd, e.SP_KEY_FILE) : inCerts('sp-signing.key.pem'),
      signingCert: e.SP_CERT_FILE ? path.resolve(cwd, e.SP_CERT_FILE) : inCerts('sp-signing.cert.pem'),
      encryptionKey: e.SP_ENCRYPTION_KEY_FILE
        ? path.resolve(cwd, e.SP_ENCRYPTION_KEY_FILE)
        : inCerts('sp-encryption.key.pem'),
      encryptionCert: e.SP_ENCRYPTION_CERT_FILE
        ? path.resolve(cwd, e.SP_ENCRYPTION_CERT_FILE)
        : inCerts('sp-encryption.cert.pem'),
    },
    ...(e.OIDC_BRIDGE && ['on', 'true', '1'].includes(e.OIDC_BRIDGE)
      ? {
          oidc: Object.freeze({
            issuer: (e.OIDC_ISSUER ?? baseUrl).replace(/\/+$/, ''),
            resources: Object.freeze(e.OIDC_RESOURCES),
            keyRotationDays: e.OIDC_KEY_ROTATION_DAYS,
          }),
        }
      : {}),
    devIdp,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY ?? false,
    http: Object.freeze({
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    }),
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    traces: Object.freeze({
      retentionDays: e.TRACE_RETENTION_DAYS,
      maxCount: e.TRACE_MAX_COUNT,
      unverifiedPerMinute: e.TRACE_UNVERIFIED_PER_MINUTE,
      flushMs: e.TRACE_FLUSH_MS,
      ...(e.TRACE_CAPTURE_KEY ? { captureKey: Buffer.from(e.TRACE_CAPTURE_KEY, 'base64') } : {}),
    }),
    ...(e.SUPPORT_CONTACT ? { supportContact: e.SUPPORT_CONTACT } : {}),
    ...(isOn(e.METRICS) && e.METRICS_TOKEN ? { metrics: Object.freeze({ token: e.METRICS_TOKEN }) } : {}),
    webhooks: Object.freeze({
      tickMs: e.WEBHOOK_TICK_MS,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: e.WEBHOOK_RETRY_MAX_MS,
      maxAgeMs: e.WEBHOOK_MAX_AGE_MS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
    }),
    certificateWatchIntervalMs: e.CERTIFICATE_WATCH_INTERVAL_MS,
    healthFlushMs: e.HEALTH_FLUSH_MS,
    ...(e.DNS_SERVERS ? { dnsServers: Object.freeze(e.DNS_SERVERS) } : {}),
    homeListsConnections: ['true', 'on', '1'].includes(e.HOME_LISTS_CONNECTIONS ?? 'false'),
    httpFastPath: isOn(e.HTTP_FAST_PATH),
  });
}
