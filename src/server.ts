/**
 * Wiring: config -> keys -> stores -> ServiceProvider -> routes. The demo server is assembled from the same
 * public pieces an integrator mounts in their own app (samlRouter, accountRoutes), plus the demo home page and,
 * under `npm start`, the embedded development IdP with its ready connection `dev`.
 */
import { hkdfSync } from 'node:crypto';
import path from 'node:path';
import express, { type Express } from 'express';
import type { ClientMetadata } from 'oidc-provider';
import { AdminIdentities } from './audit/admin-identities.ts';
import { AuditLog, type AuditRecorder } from './audit/audit-log.ts';
import type { ResolvedConfig } from './config.ts';
import type { KeyPair } from './core/types.ts';
import type { DevIdp } from './dev-idp/index.ts';
import { CertificateWatch, EventBus, WebhookDeliveryWorker, WebhookService } from './events/index.ts';
import { accountRouterParts } from './http/account-routes.ts';
import { AdminSessions, adminRouter, LoginThrottle } from './http/admin/index.ts';
import { errorHandler, notFoundHandler } from './http/error-response.ts';
import { healthRoutes } from './http/health.ts';
import { homePage } from './http/home-page.ts';
import { createHttpServer, type DrainResult } from './http/http-server.ts';
import { logContext } from './http/log-context.ts';
import { createLogger, type Logger } from './http/logger.ts';
import { metricsRoute } from './http/metrics-route.ts';
import { samlRouterParts } from './http/saml-router.ts';
import { securityHeaders } from './http/security-headers.ts';
import {
  draftPortalConnections,
  organizationPortalDomains,
  PortalSessions,
  setupPortal,
} from './http/setup/index.ts';
import { signInFastPath } from './http/sign-in-fast-path.ts';
import type { KeyResolver } from './keys/index.ts';
import { KeyRing } from './keys/index.ts';
import { createSpMetrics, type SpMetrics } from './metrics/index.ts';
import type { PrometheusMetrics } from './metrics/prometheus.ts';
import { createOidcBridge, type OidcBridge } from './oidc/bridge.ts';
import { OidcClientService } from './oidc/clients.ts';
import { type SetupLinkEvent, SetupLinkService } from './org/setup-links/index.ts';
import { createScimDirectory, organizationDirectory, type ScimDirectory } from './scim/index.ts';
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
import { TestSignIns } from './sp/test-sign-in.ts';
import { BufferedConnectionHealth } from './store/buffered-health.ts';
import { BufferedTraceStore } from './store/buffered-traces.ts';
import { STORE_UNAVAILABLE } from './store/errors.ts';
import { openStores } from './store/index.ts';
import { MemoryConnectionHealthStore } from './store/memory/connection-health.ts';
import { MemoryCertificateAlertStore, MemoryWebhookStore } from './store/memory/events.ts';
import { MemoryStateStore, MemoryTraceStore } from './store/memory/index.ts';
import { MemoryOidcStore } from './store/memory/oidc.ts';
import { MemorySetupLinkStore } from './store/memory/setup-links.ts';
import { MemorySpKeyStore } from './store/memory/sp-keys.ts';
import type { Stores } from './store/types.ts';
import { captureKey, startTraceSweeper, TraceService } from './trace/index.ts';

export const DEV_CONNECTION_ID = 'dev';
/** The domain of the dev IdP's test accounts, verified for the dev organization when it is first created. */
const DEV_DOMAIN = 'example.com';
const DEV_IDP_NOTE = `Development IdP: try alice@${DEV_DOMAIN} (password alice-pass) or bob@${DEV_DOMAIN} (bob-pass).`;

export interface AppServer {
  app: Express;
  sp: ServiceProvider;
  stores: Stores;
  /** Connection management (admin API, page, refresh scheduler). */
  connections: ConnectionService;
  /** Test sign-ins (admin page, setup portal): start one, read its result. */
  tests: TestSignIns;
  /** Organizations and their domains (admin API, page, CLI). */
  organizations: OrganizationService;
  /** Setup links for customers' IT admins (admin API, CLI, the /setup portal). */
  setupLinks: SetupLinkService;
  /** The SCIM 2.0 directory (/scim/v2/:organizationId), when the store has one (every built-in backend does). */
  scim?: ScimDirectory;
  /** The metadata refresh scheduler (started by `listen`); `runDue()` refreshes what is due now. */
  refresher: MetadataRefresher;
  /** The SP key ring (rollover, keys outside the process), on the same stores. */
  keyRing: KeyRing;
  /** Sign-in and logout traces (issue #13). */
  traces: TraceService;
  /** The audit log every admin action is recorded in: pass it to each service as its `audit` port. */
  audit: AuditLog;
  /** The admin identities (named admin tokens, ADMIN_TOKEN as "bootstrap"). */
  identities: AdminIdentities;
  /** The OpenTelemetry instruments (also `sp.metrics`): the events room counts webhook deliveries here. */
  metrics: SpMetrics;
  /** Lifecycle events (also `sp.events`). */
  events: EventBus;
  /** Webhook endpoints and deliveries (admin API, page, CLI). */
  webhooks: WebhookService;
  /** Sends the outbox (started by `listen`); `runDue()` sends what is due now. */
  delivery: WebhookDeliveryWorker;
  /** The certificate expiry watch (started by `listen`); `runDue(now)` checks now. */
  certificateWatch: CertificateWatch;
  devIdp?: DevIdp;
  /** The OpenID bridge and its client registry, when OIDC_BRIDGE is on. */
  oidc?: { bridge: OidcBridge; clients: OidcClientService };
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

/**
 * The SP key ring on the stores (a memory one when a backend has no key store), with the key files adopted as
 * its first active keys, so that an existing deployment signs exactly as before. New keys go to certs/keys/.
 */
export async function openKeyRing(
  config: ResolvedConfig,
  stores: Stores,
  keys: { signing: KeyPair; encryption: KeyPair },
  options: { logger?: Logger; resolvers?: Record<string, KeyResolver>; audit?: AuditRecorder } = {},
): Promise<KeyRing> {
  const keyRing = new KeyRing({
    ...(options.audit ? { audit: options.audit } : {}),
    store: stores.spKeys ?? new MemorySpKeyStore(),
    keysDir: path.join(config.certsDir, 'keys'),
    commonName: 'saml-sp-kit SP',
    ...(options.resolvers ? { resolvers: options.resolvers } : {}),
    onChange: ({ action, key }, context) =>
      options.logger?.info(`keys.${action}`, {
        keyId: key.id,
        use: key.use,
        state: key.state,
        connectionId: key.connectionId,
        actor: context.actor?.name,
      }),
  });
  await keyRing.adoptFileKeys({
    signing: { pair: keys.signing, keyFile: config.keyFiles.signingKey },
    encryption: { pair: keys.encryption, keyFile: config.keyFiles.encryptionKey },
  });
  return keyRing;
}

/**
 * The OpenID bridge over the stores (issue #17). Its cookie keys are derived from the SP signing key, so every
 * instance that shares the key signs the provider's cookies alike, with nothing new to configure.
 */
function openOidcBridge(config: ResolvedConfig, sp: ServiceProvider, stores: Stores, signingKeyPem: string) {
  const settings = config.oidc!;
  const store = stores.oidc ?? new MemoryOidcStore();
  const cookieKey = Buffer.from(
    hkdfSync('sha256', signingKeyPem, 'saml-sp-kit', 'oidc-provider cookies', 32),
  );
  const bridge = createOidcBridge({
    sp,
    store,
    issuer: settings.issuer,
    sessionCookieName: config.sessionCookieName,
    cookieKeys: [cookieKey.toString('base64url')],
    resources: settings.resources.map((indicator) => ({ indicator })),
    keyRotation: { rotateAfterSeconds: settings.keyRotationDays * 86_400 },
  });
  const clients = new OidcClientService({
    store,
    validate: async (metadata) => {
      await (await bridge.provider()).Client.validate(metadata as unknown as ClientMetadata);
    },
  });
  return { bridge, clients };
}

/** Builds the demo/product server from a resolved configuration. */
export async function createAppServer(
  config: ResolvedConfig,
  options: {
    logger?: Logger;
    /** The clock of the SP and everything built on it (tests: setup-link expiry, for instance). */
    now?: () => Date;
    /** Resolvers of key references held outside the process (`vault:`, `kms:`, …): see src/keys/index.ts. */
    keyResolvers?: Record<string, KeyResolver>;
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
  // Every admin action, whoever performs it (API, page, CLI, the key ring too), lands in one append-only log.
  const audit = new AuditLog(stores.auditLog ? { store: stores.auditLog } : {});
  const keyRing = await openKeyRing(config, stores, keys, {
    logger,
    audit,
    ...(options.keyResolvers ? { resolvers: options.keyResolvers } : {}),
  });
  // Sign-in outcomes feed the admin page's per-connection health. Test sign-ins never reach it: they are not
  // sign-ins (src/sp/test-sign-in.ts).
  // Successes are counted in memory and written every HEALTH_FLUSH_MS (and at close): one write fewer per
  // sign-in. Failures are written at once. This instance's reads include what it has not written yet.
  const health = new BufferedConnectionHealth(stores.connectionHealth ?? new MemoryConnectionHealthStore(), {
    ...(config.healthFlushMs !== undefined ? { flushMs: config.healthFlushMs } : {}),
    onFlushError: (error) => logger.warn('health.flush_failed', { message: String(error) }),
  });
  const recordHealth = recordSignInHealth(health);
  // Every ACS and SLO attempt leaves a trace under the ID its error page shows (issue #13). A failure's trace
  // is written at once (support looks it up right away); successes are written in batches every
  // TRACE_FLUSH_MS (and at close): one commit per batch instead of one per sign-in (src/store/buffered-traces.ts).
  const traceStore = new BufferedTraceStore(stores.traces ?? new MemoryTraceStore(), {
    ...(config.traces.flushMs !== undefined ? { flushMs: config.traces.flushMs } : {}),
    onFlushError: (error, facts) =>
      logger.warn('trace.flush_failed', { message: String(error), kept: facts.kept, dropped: facts.dropped }),
  });
  const traces = new TraceService({
    store: traceStore,
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
  const identities = new AdminIdentities({
    ...(stores.adminTokens ? { store: stores.adminTokens } : {}),
    bootstrapToken: config.adminToken,
    audit,
  });
  // Lifecycle events: the outbox is in the database (survives restarts, shared by instances); a custom
  // Stores without one gets an in-memory outbox (this process only).
  const webhookStore = stores.webhooks ?? new MemoryWebhookStore();
  const events = new EventBus({ outbox: webhookStore, logger });
  const webhooks = new WebhookService({ store: webhookStore, events });
  metrics.observeOutboxDepth(() => webhooks.depth());
  const delivery = new WebhookDeliveryWorker({
    store: webhookStore,
    ...(stores.locks ? { locks: stores.locks } : {}),
    logger,
    // Every attempt counted: delivered, failed (to be retried), dead (given up after WEBHOOK_MAX_AGE_MS).
    onAttempt: ({ eventType, outcome }) =>
      metrics.webhookDeliveries.add(1, {
        event_type: eventType,
        outcome: outcome === 'delivered' ? 'delivered' : outcome === 'pending' ? 'failed' : 'dead',
      }),
    ...(config.webhooks
      ? {
          tickMs: config.webhooks.tickMs,
          initialDelayMs: config.webhooks.tickMs,
          timeoutMs: config.webhooks.timeoutMs,
          retry: {
            baseMs: config.webhooks.retryBaseMs,
            maxDelayMs: config.webhooks.retryMaxMs,
            maxAgeMs: config.webhooks.maxAgeMs,
          },
        }
      : {}),
  });
  // The organization's directory (SCIM, issue #14). Built before the SP, which consults it at every sign-in
  // and session read; it reads organizations from the SP's store once the SP exists.
  let spForDirectory: ServiceProvider | undefined;
  const scimOrganizations = organizationDirectory(() => {
    if (!spForDirectory) throw new Error('the SCIM directory was used before the ServiceProvider existed');
    return spForDirectory.organizations;
  }, stores.connections);
  const scim = stores.scim
    ? createScimDirectory({
        stores: { ...stores, scim: stores.scim },
        organizations: scimOrganizations,
        baseUrl: config.baseUrl,
        logger,
        // Every SCIM write in the audit log, under the token that made it (actor kind 'scim-token'). Lifecycle
        // events (user provisioned / deactivated / ...) can hook in here too: the same ScimChange.
        onChange: (change, context) =>
          audit.record({
            actor: context.actor,
            action: `scim.${change.kind}`,
            target: {
              type: change.kind.startsWith('user.') ? 'scim-user' : 'scim-group',
              id: change.resourceId,
            },
            ...(change.resource ? { after: change.resource } : {}),
          }),
        onTokenChange: (change, context) =>
          audit.record({
            actor: context.actor,
            action: change.kind === 'scim-token.created' ? 'scim_token.created' : 'scim_token.revoked',
            target: { type: 'scim-token', id: change.tokenId },
            after: { organizationId: change.organizationId },
          }),
      })
    : undefined;
  const sp = new ServiceProvider({
    metrics,
    events,
    baseUrl: config.baseUrl,
    entityId: config.spEntityId,
    keys,
    keyRing,
    stores,
    ...(options.now ? { now: options.now } : {}),
    onSignInResult: async (event) => {
      await Promise.all([recordHealth(event), traces.recordSignIn(event)]);
    },
    ...(scim ? { directory: scim.links } : {}),
  });
  spForDirectory = sp;
  const organizations = new OrganizationService({
    sp,
    logger,
    audit,
    resolver: createTxtResolver(config.dnsServers ? { servers: config.dnsServers } : {}),
  });
  const connections = new ConnectionService({
    sp,
    health,
    logger,
    organizations,
    audit,
    keyLint: (connectionId) => keyRing.lint(connectionId),
  });
  // Test sign-ins live in the shared stores (Redis, else the database), so no load balancer needs sticky
  // sessions for a test that starts on one instance and ends on another (issue #11).
  const tests = new TestSignIns({ connections, ...(stores.state ? { store: stores.state } : {}) });
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
    // The catalogue's setup_link.* events (webhooks). `revoked` is not in the catalogue: the audit log has it.
    onEvent: (event) => setupLinkEvent(events, event),
  });

  const certificateWatch = new CertificateWatch({
    connections: () => stores.connections.list(),
    alerts: stores.certificateAlerts ?? new MemoryCertificateAlertStore(),
    events,
    ...(stores.locks ? { locks: stores.locks } : {}),
    logger,
    ...(config.certificateWatchIntervalMs ? { intervalMs: config.certificateWatchIntervalMs } : {}),
  });

  const app = express();
  app.disable('x-powered-by');
  // First: every log line of a request carries its trace ID once it has one. The sign-in fast path
  // (src/http/sign-in-fast-path.ts) does the same as these two middlewares: keep them first, and alike.
  app.use(logContext());
  // Whose X-Forwarded-For to believe (TRUST_PROXY): req.ip keys the admin sign-in throttle.
  app.set('trust proxy', config.trustProxy);
  app.use(securityHeaders());

  // Before everything else: probes must not depend on sessions, cookies or the dev IdP.
  app.use(healthRoutes({ checks: stores.checks, draining: () => http.draining, logger }));
  if (prometheus && config.metrics)
    app.use(metricsRoute({ token: config.metrics.token, handle: prometheus.handle }));

  // The routes of every sign-in (login, ACS, /me) before the admin, setup, SCIM and page routers: Express
  // tries each mounted layer in order, and none of those claims a path under /saml or /me or /logout.
  const saml = samlRouterParts(sp, {
    sessionCookieName: config.sessionCookieName,
    logger,
    onMetadataFetch: (connectionId, by) => keyRing.noteMetadataFetch(connectionId, by),
    traces,
    supportContact: config.supportContact,
    testSignIns: tests,
  });
  app.use(sp.routePrefix, saml.router);
  const account = accountRouterParts(sp, { sessionCookieName: config.sessionCookieName, logger });
  app.use(account.router);

  let devIdp: DevIdp | undefined;
  if (config.devIdp) {
    devIdp = await mountDevIdp(app, config, sp, organizations, logger);
  }

  const oidc = config.oidc ? openOidcBridge(config, sp, stores, keys.signing.privateKeyPem) : undefined;

  app.use(
    '/admin',
    adminRouter({
      ...(oidc ? { oidcClients: oidc.clients } : {}),
      connections,
      webhooks,
      adminToken: config.adminToken,
      audit,
      identities,
      tests,
      sessionCookieName: config.sessionCookieName,
      sessions: new AdminSessions(stores.state ? { store: stores.state } : {}),
      throttle: new LoginThrottle(stores.throttle ? { store: stores.throttle } : {}),
      traces,
      setupLinks,
      logger,
      ...(scim ? { scim: { tokens: scim.tokens, organizations: scimOrganizations } } : {}),
      keyRing,
    }),
  );
  app.use(
    '/setup',
    setupPortal({
      links: setupLinks,
      // Create-first drafts and the isolated test sign-in: the IT admin's test creates no user and no session.
      connections: draftPortalConnections(connections, tests, {
        sessionCookieName: config.sessionCookieName,
      }),
      domains: organizationPortalDomains(organizations),
      baseUrl: config.baseUrl,
      sessions: new PortalSessions(stores.state ? { store: stores.state } : {}),
      ...(stores.throttle ? { throttle: stores.throttle } : {}),
      logger,
    }),
  );
  if (scim) app.use('/scim/v2', scim.router);
  app.use(
    homePage(sp, {
      sessionCookieName: config.sessionCookieName,
      logger,
      listConnections: config.homeListsConnections ?? false,
      ...(devIdp ? { note: DEV_IDP_NOTE } : {}),
    }),
  );
  // The OpenID bridge answers /.well-known/openid-configuration and /oidc/* only.
  if (oidc) app.use(oidc.bridge.router);
  // One answer for whatever no route handled or every route let through: never Express's default page,
  // which shows the stack trace and file paths outside production.
  app.use(notFoundHandler({ supportContact: config.supportContact }));
  const appError = errorHandler({ logger, supportContact: config.supportContact });
  app.use(appError);
  // Login, ACS and /me straight to the handlers above, the rest through the app (HTTP_FAST_PATH).
  const listener =
    config.httpFastPath === false
      ? app
      : signInFastPath(app, {
          samlMount: sp.routePrefix,
          login: saml.login,
          acs: saml.acs,
          me: account.me,
          appError,
        });
  // Made once the routes exist; /readyz asks it whether it drains (above) only when requests arrive, by then.
  const http = createHttpServer(listener, config.http);

  let stopSweeper: (() => void) | undefined;
  let stopTraceSweeper: (() => void) | undefined;
  let closing: Promise<DrainResult> | undefined;
  return {
    app,
    sp,
    stores,
    connections,
    tests,
    organizations,
    setupLinks,
    ...(scim ? { scim } : {}),
    refresher,
    keyRing,
    traces,
    audit,
    identities,
    metrics,
    events,
    webhooks,
    delivery,
    certificateWatch,
    ...(devIdp ? { devIdp } : {}),
    ...(oidc ? { oidc } : {}),
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
          delivery.start();
          certificateWatch.start();
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
        const [drained] = await Promise.all([
          http.drain(deadline),
          refresher.stop(),
          delivery.stop(),
          certificateWatch.stop(),
        ]);
        await events.settled();
        // The health counts and traces still in memory, while the stores are open.
        await Promise.all([health.close(), traceStore.close()]);
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
      return Promise.all(
        connections.filter((c) => c.idpEntityId === devIdp.entityId).map((c) => sp.metadataFor(c)),
      );
    },
  });
  app.use('/idp', devIdp.router);
  const now = new Date();
  const existing = await sp.stores.connections.get(DEV_CONNECTION_ID);
  // The dev connection belongs to an organization like every other: its own, unless an admin moved it.
  const organizationId = existing?.organizationId ?? DEV_CONNECTION_ID;
  // Created once with the test accounts' domain verified, so "Sign in with your work email" works at once;
  // never re-seeded, so an admin's later changes stand.
  await organizations.ensure(
    organizationId,
    'Development IdP (embedded)',
    { actor: { kind: 'system', name: 'dev-idp' } },
    { verifiedDomains: [DEV_DOMAIN] },
  );
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

/** Forwards what the setup-link service reports to the lifecycle events, in the catalogue's payload shapes. */
async function setupLinkEvent(events: EventBus, event: SetupLinkEvent): Promise<void> {
  const base = { setupLinkId: event.linkId, organizationId: event.organizationId };
  switch (event.type) {
    case 'setup_link.created':
      await events.emit(
        'setup_link.created',
        {
          ...base,
          expiresAt: event.expiresAt.toISOString(),
          actor: `${event.actor.kind}:${event.actor.name}`,
        },
        event.at,
      );
      return;
    case 'setup_link.used':
      await events.emit(
        'setup_link.used',
        { ...base, ...(event.connectionId ? { connectionId: event.connectionId } : {}) },
        event.at,
      );
      return;
    case 'setup_link.expired':
      await events.emit('setup_link.expired', base, event.at);
      return;
    case 'setup_link.revoked':
      return;
  }
}
