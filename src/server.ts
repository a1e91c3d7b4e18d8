/**
 * Wiring: config -> keys -> stores -> ServiceProvider -> routes. The demo server is assembled from the same
 * public pieces an integrator mounts in their own app (samlRouter, accountRoutes), plus the demo home page and,
 * under `npm start`, the embedded development IdP with its ready connection `dev`.
 */
import path from 'node:path';
import express, { type Express } from 'express';
import { AdminIdentities } from './audit/admin-identities.ts';
import { AuditLog } from './audit/audit-log.ts';
import type { ResolvedConfig } from './config.ts';
import type { DevIdp } from './dev-idp/index.ts';
import { accountRoutes } from './http/account-routes.ts';
import { AdminSessions, adminRouter, LoginThrottle, TestRuns } from './http/admin/index.ts';
import { errorHandler, notFoundHandler } from './http/error-response.ts';
import { healthRoutes } from './http/health.ts';
import { homePage } from './http/home-page.ts';
import { createHttpServer, type DrainResult } from './http/http-server.ts';
import { logContext } from './http/log-context.ts';
import { createLogger, type Logger } from './http/logger.ts';
import { metricsRoute } from './http/metrics-route.ts';
import { samlRouter } from './http/saml-router.ts';
import {
  mainPortalConnections,
  organizationPortalDomains,
  PortalSessions,
  setupPortal,
} from './http/setup/index.ts';
import { createSpMetrics, type SpMetrics } from './metrics/index.ts';
import type { PrometheusMetrics } from './metrics/prometheus.ts';
import { SetupLinkService } from './org/setup-links/index.ts';
import { isAdminError } from './sp/admin-errors.ts';
import { ConnectionService } from './sp/connection-service.ts';
import { connectionFromMetadata } from './sp/connections.ts';
import { createTxtResolver } from './sp/domain-verification.ts';
import { loadOrCreateKeyPair } from './sp/key-files.ts';
import { MetadataRefresher } from './sp/metadata-refresh.ts';
import { OrganizationService } from './sp/organization-service.ts';
import { ServiceProvider } from './sp/service-provider.ts';
import { startSessionSweeper } from './sp/session-sweeper.ts';
import { recordSignInHealth } from './sp/sign-in-health.ts';
import { STORE_UNAVAILABLE } from './store/errors.ts';
import { openStores } from './store/index.ts';
import { MemoryConnectionHealthStore } from './store/memory/connection-health.ts';
import { MemoryStateStore, MemoryTraceStore } from './store/memory/index.ts';
import { MemorySetupLinkStore } from './store/memory/setup-links.ts';
import type { Stores } from './store/types.ts';
import { captureKey, startTraceSweeper, TraceService } from './trace/index.ts';

export const DEV_CONNECTION_ID = 'dev';

export interface AppServer {
  app: Express;
  sp: ServiceProvider;
  stores: Stores;
  /** Connection management (admin API, page, refresh scheduler). */
  connections: ConnectionService;
  /** Organizations and their domains (admin API, page, CLI). */
  organizations: OrganizationService;
  /** Setup links for customers' IT admins (admin API, CLI, the /setup portal). */
  setupLinks: SetupLinkService;
  /** The metadata refresh scheduler (started by `listen`); `runDue()` refreshes what is due now. */
  refresher: MetadataRefresher;
  /** Sign-in and logout traces (issue #13). */
  traces: TraceService;
  /** The audit log every admin action is recorded in: pass it to each service as its `audit` port. */
  audit: AuditLog;
  /** The admin identities (named admin tokens, ADMIN_TOKEN as "bootstrap"). */
  identities: AdminIdentities;
  /** The OpenTelemetry instruments (also `sp.metrics`): the events room counts webhook deliveries here. */
  metrics: SpMetrics;
  devIdp?: DevIdp;
  logger: Logger;
  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  listen(port?: number, host?: string): Promise<{ port: number; url: string }>;
  /**
   * Graceful stop: /readyz turns 503, the server stops accepting, in-flight requests finish (until
   * `timeoutMs`, default SHUTDOWN_TIMEOUT_MS; then their connections are cut), background jobs stop, and the
   * stores close (pools ended). Calling it again returns the same promise.
   */
  close(options?: { timeoutMs?: number }): Promise<DrainResult>;
}

/** Loads the SP's signing and encryption keys, generating them on first start. */
export async function loadSpKeys(config: ResolvedConfig, logger?: Logger) {
  const signing = await loadOrCreateKeyPair(
    { key: config.keyFiles.signingKey, cert: config.keyFiles.signingCert },
    'saml-sp-kit SP signing',
  );
  const encryption = await loadOrCreateKeyPair(
    { key: config.keyFiles.encryptionKey, cert: config.keyFiles.encryptionCert },
    'saml-sp-kit SP encryption',
  );
  if (signing.created || encryption.created) logger?.info('sp.keys_generated', { dir: config.certsDir });
  return { signing: signing.pair, encryption: encryption.pair };
}

/** Builds the demo/product server from a resolved configuration. */
export async function createAppServer(
  config: ResolvedConfig,
  options: {
    logger?: Logger;
    /** The clock of the SP and everything built on it (tests: setup-link expiry, for instance). */
    now?: () => Date;
  } = {},
): Promise<AppServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const keys = await loadSpKeys(config, logger);
  const stores = await openStores({
    databaseUrl: config.databaseUrl,
    redisUrl: config.redisUrl,
    redisSentinelPassword: config.redisSentinelPassword,
    // The code every outage answer and health record carries (src/store/errors.ts).
    onError: (error) =>
      logger.warn('store.connection_error', { code: STORE_UNAVAILABLE, message: error.message }),
  });
  // Sign-in outcomes feed the admin page: per-connection health, and the results of "Test sign-in".
  const health = stores.connectionHealth ?? new MemoryConnectionHealthStore();
  const recordHealth = recordSignInHealth(health);
  // Admin sessions, test results and the admin sign-in throttle live in the shared stores (Redis, else the
  // database), so no load balancer needs sticky sessions for the admin page (issue #11).
  const testRuns = new TestRuns(stores.state ? { store: stores.state } : {});
  // Every ACS and SLO attempt leaves a trace under the ID its error page shows (issue #13).
  const traces = new TraceService({
    store: stores.traces ?? new MemoryTraceStore(),
    state: stores.state ?? new MemoryStateStore(),
    captureKey: captureKey({
      spPrivateKeyPem: keys.encryption.privateKeyPem,
      ...(config.traces.captureKey ? { explicitKey: config.traces.captureKey } : {}),
    }),
    retentionDays: config.traces.retentionDays,
    maxCount: config.traces.maxCount,
    unverifiedPerMinute: config.traces.unverifiedPerMinute,
    onProblem: (event, fields) => logger.warn(event, fields),
  });
  // METRICS=on: this server's own MeterProvider read by the Prometheus exporter (the SDK loads only then).
  const prometheus = config.metrics ? await loadPrometheus() : undefined;
  const metrics = createSpMetrics(prometheus?.provider);
  // Every admin action, whoever performs it (API, page, CLI), lands in one append-only log.
  const audit = new AuditLog(stores.auditLog ? { store: stores.auditLog } : {});
  const identities = new AdminIdentities({
    ...(stores.adminTokens ? { store: stores.adminTokens } : {}),
    bootstrapToken: config.adminToken,
    audit,
  });
  const sp = new ServiceProvider({
    metrics,
    baseUrl: config.baseUrl,
    entityId: config.spEntityId,
    keys,
    stores,
    ...(options.now ? { now: options.now } : {}),
    onSignInResult: async (event) => {
      await Promise.all([testRuns.capture(event), recordHealth(event), traces.recordSignIn(event)]);
    },
  });
  const organizations = new OrganizationService({
    sp,
    logger,
    audit,
    resolver: createTxtResolver(config.dnsServers ? { servers: config.dnsServers } : {}),
  });
  const connections = new ConnectionService({ sp, health, logger, organizations, audit });
  // One refresh per connection per cycle across every instance on these stores (issue #11).
  const refresher = new MetadataRefresher({
    connections,
    logger,
    ...(stores.locks ? { locks: stores.locks } : {}),
  });

  // Setup links (issue #12 item 3): the admin API creates them, the /setup portal opens them.
  const setupLinks = new SetupLinkService({
    store: stores.setupLinks ?? new MemorySetupLinkStore(),
    baseUrl: config.baseUrl,
    audit,
    organizations: {
      get: (id) =>
        organizations.get(id).catch((err: unknown) => {
          if (isAdminError(err) && err.code === 'ORGANIZATION_NOT_FOUND') return undefined;
          throw err;
        }),
    },
    now: () => sp.now(),
    logger,
  });

  const app = express();
  const http = createHttpServer(app, config.http);
  app.disable('x-powered-by');
  // First: every log line of a request carries its trace ID once it has one.
  app.use(logContext());
  // Whose X-Forwarded-For to believe (TRUST_PROXY): req.ip keys the admin sign-in throttle.
  app.set('trust proxy', config.trustProxy);
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('X-Frame-Options', 'DENY');
    next();
  });

  // Before everything else: probes must not depend on sessions, cookies or the dev IdP.
  app.use(healthRoutes({ checks: stores.checks, draining: () => http.draining, logger }));
  if (prometheus && config.metrics)
    app.use(metricsRoute({ token: config.metrics.token, handle: prometheus.handle }));

  let devIdp: DevIdp | undefined;
  if (config.devIdp) {
    devIdp = await mountDevIdp(app, config, sp, organizations, logger);
  }

  app.use(
    '/admin',
    adminRouter({
      connections,
      adminToken: config.adminToken,
      audit,
      identities,
      testRuns,
      sessions: new AdminSessions(stores.state ? { store: stores.state } : {}),
      throttle: new LoginThrottle(stores.throttle ? { store: stores.throttle } : {}),
      traces,
      setupLinks,
      logger,
    }),
  );
  app.use(
    '/setup',
    setupPortal({
      links: setupLinks,
      connections: mainPortalConnections(connections, testRuns),
      domains: organizationPortalDomains(organizations),
      baseUrl: config.baseUrl,
      sessions: new PortalSessions(stores.state ? { store: stores.state } : {}),
      ...(stores.throttle ? { throttle: stores.throttle } : {}),
      logger,
    }),
  );
  app.use(homePage(sp, { sessionCookieName: config.sessionCookieName, logger }));
  app.use(
    '/saml',
    samlRouter(sp, {
      sessionCookieName: config.sessionCookieName,
      logger,
      traces,
      supportContact: config.supportContact,
    }),
  );
  app.use(accountRoutes(sp, { sessionCookieName: config.sessionCookieName, logger }));
  // One answer for whatever no route handled or every route let through: never Express's default page,
  // which shows the stack trace and file paths outside production.
  app.use(notFoundHandler({ supportContact: config.supportContact }));
  app.use(errorHandler({ logger, supportContact: config.supportContact }));

  let stopSweeper: (() => void) | undefined;
  let stopTraceSweeper: (() => void) | undefined;
  let closing: Promise<DrainResult> | undefined;
  return {
    app,
    sp,
    stores,
    connections,
    organizations,
    setupLinks,
    refresher,
    traces,
    audit,
    identities,
    metrics,
    ...(devIdp ? { devIdp } : {}),
    logger,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        const s = http.server;
        s.once('error', reject);
        s.listen(port, host);
        s.once('listening', () => {
          s.off('error', reject);
          const address = s.address();
          const bound = typeof address === 'object' && address ? address.port : port;
          logger.info('server.listening', { url: config.baseUrl, host, port: bound });
          refresher.start();
          // The session registry (IdP-initiated logout looks sessions up in it) drops expired rows now and then.
          stopSweeper = startSessionSweeper(stores.sessions, {
            onSweep: (r) =>
              'error' in r ? logger.warn('sessions.sweep_failed', { message: String(r.error) }) : undefined,
          });
          // Traces past the retention (TRACE_RETENTION_DAYS) or the cap (TRACE_MAX_COUNT) go now and then.
          stopTraceSweeper = startTraceSweeper(traces, {
            onSweep: (r) =>
              'error' in r ? logger.warn('traces.sweep_failed', { message: String(r.error) }) : undefined,
          });
          resolve({ port: bound, url: config.baseUrl });
        });
      });
    },
    close(options = {}) {
      closing ??= (async () => {
        const deadline = Date.now() + (options.timeoutMs ?? config.shutdownTimeoutMs);
        stopSweeper?.();
        stopTraceSweeper?.();
        // In-flight requests still need the stores: close them only once the HTTP side has drained.
        const [drained] = await Promise.all([http.drain(deadline), refresher.stop()]);
        await Promise.all([stores.close(), prometheus?.shutdown()]);
        return drained;
      })();
      return closing;
    },
  };
}

/** The Prometheus exporter, whose SDK packages are optional peer dependencies of the package. */
async function loadPrometheus(): Promise<PrometheusMetrics> {
  try {
    const { createPrometheusMetrics } = await import('./metrics/prometheus.ts');
    return createPrometheusMetrics();
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error(
        'METRICS=on needs the OpenTelemetry SDK: npm install @opentelemetry/sdk-metrics @opentelemetry/exporter-prometheus',
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * The embedded IdP lives at BASE_URL/idp with its own key (certs/dev-idp.*), and the connection `dev` is
 * (re)created from its metadata at every start, so a changed key never leaves a stale trust behind.
 */
async function mountDevIdp(
  app: Express,
  config: ResolvedConfig,
  sp: ServiceProvider,
  organizations: OrganizationService,
  logger: Logger,
): Promise<DevIdp> {
  const { pair } = await loadOrCreateKeyPair(
    {
      key: path.join(config.certsDir, 'dev-idp.key.pem'),
      cert: path.join(config.certsDir, 'dev-idp.cert.pem'),
    },
    'saml-sp-kit development IdP',
  );
  // The IdP looks its SPs up on every request: sp.metadataFor signs each SP's metadata once per connection
  // version, not per lookup (an RSA signature each time, and a new document ID that defeats the IdP's parse cache).
  // Loaded only when the dev IdP is on: the library entry never loads samlify.
  const { createDevIdp } = await import('./dev-idp/index.ts');
  const devIdp = createDevIdp({
    baseUrl: `${config.baseUrl}/idp`,
    signing: pair,
    serviceProviders: async () => {
      const connections = await sp.stores.connections.list();
      return connections.filter((c) => c.idpEntityId === devIdp.entityId).map((c) => sp.metadataFor(c));
    },
  });
  app.use('/idp', devIdp.router);
  const now = new Date();
  const existing = await sp.stores.connections.get(DEV_CONNECTION_ID);
  // The dev connection belongs to an organization like every other: its own, unless an admin moved it.
  const organizationId = existing?.organizationId ?? DEV_CONNECTION_ID;
  await organizations.ensure(organizationId, 'Development IdP (embedded)', {
    actor: { kind: 'system', name: 'dev-idp' },
  });
  const connection = connectionFromMetadata(
    {
      id: DEV_CONNECTION_ID,
      displayName: 'Development IdP (embedded)',
      metadataXml: devIdp.metadataXml(),
      preset: 'keycloak',
      ...(existing ? { attributeMapping: existing.attributeMapping, policy: existing.policy } : {}),
    },
    now,
  );
  connection.organizationId = organizationId;
  await sp.stores.connections.put(existing ? { ...connection, createdAt: existing.createdAt } : connection);
  logger.info('dev_idp.ready', {
    metadata: `${config.baseUrl}/idp/metadata`,
    connection: DEV_CONNECTION_ID,
    users: ['alice', 'bob'],
  });
  return devIdp;
}
