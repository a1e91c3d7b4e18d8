/** The command table and the shared plumbing of the CLI. */
import { userInfo } from 'node:os';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { AdminIdentities, AuditLog } from '../audit/index.ts';
import { loadConfig, type ResolvedConfig } from '../config.ts';
import type { KeyRing } from '../keys/index.ts';
import { loadSpKeys, openKeyRing } from '../server.ts';
import type { ChangeContext } from '../sp/change-context.ts';
import { ServiceProvider } from '../sp/service-provider.ts';
import { openStores } from '../store/index.ts';
import { adminTokensCommand } from './commands/admin-tokens.ts';
import { auditCommand } from './commands/audit.ts';
import { connectionsCommand } from './commands/connections.ts';
import { initCommand } from './commands/init.ts';
import { inspectCommand } from './commands/inspect.ts';
import { keysCommand } from './commands/keys.ts';
import { metadataCommand } from './commands/metadata.ts';
import { oidcClientsCommand } from './commands/oidc-clients.ts';
import { organizationsCommand } from './commands/organizations.ts';
import { scimTokensCommand } from './commands/scim-tokens.ts';
import { serveCommand } from './commands/serve.ts';
import { setupLinksCommand } from './commands/setup-links.ts';
import { tracesCommand } from './commands/traces.ts';
import { usersCommand } from './commands/users.ts';
import { webhooksCommand } from './commands/webhooks.ts';

export type Command = (args: string[]) => Promise<number>;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const COMMANDS: Record<string, Command> = {
  init: initCommand,
  serve: serveCommand,
  metadata: metadataCommand,
  connections: connectionsCommand,
  organizations: organizationsCommand,
  users: usersCommand,
  'scim-tokens': scimTokensCommand,
  inspect: inspectCommand,
  keys: keysCommand,
  traces: tracesCommand,
  'admin-tokens': adminTokensCommand,
  audit: auditCommand,
  'setup-links': setupLinksCommand,
  webhooks: webhooksCommand,
  'oidc-clients': oidcClientsCommand,
};

export function usage(): string {
  return `Usage: saml-sp <command> [options]

  init                                   generate SP keys and certificates into certs/ (idempotent)
  serve [--dev-idp]                      start the server (DEV_IDP=on also enables the embedded IdP)
  metadata [--connection ID] [--out FILE]
                                         print or write the signed SP metadata
  connections add --id ID [--metadata FILE | --metadata-url URL] [--preset NAME] [--display-name NAME]
                  [--idp-entity-id ID] [--allow-idp-initiated] [--sp-entity-id-mode connection|shared|custom]
                  [--sp-entity-id URI] [--metadata-signing-cert PEM-FILE] [--organization ID] [--require-test]
                  [--allow-duplicate-name] [--metadata-max-bytes SIZE] [--json]
                                         without metadata: a draft with its SP values; with it: active,
                                         or waiting for a test sign-in with --require-test
  connections update ID [--display-name NAME] [--metadata FILE | --metadata-url URL]
                  [--sp-entity-id URI | --sp-entity-id-mode MODE] [--metadata-signing-cert PEM-FILE]
                  [--idp-entity-id ID] [--metadata-max-bytes SIZE | default]
                                         SIZE: bytes, KiB or MiB (16KiB..64MiB; default 1 MiB, 5 MiB
                                         download cap); raise it to import one IdP from an aggregate
  connections activate ID [--override]   after a passing test sign-in (--override: without one, recorded)
  connections list | show ID | remove ID | refresh ID [--json]
                                         show prints health and lint findings; refresh keeps
                                         certificates of a rollover for a grace period
  organizations list | show ID | remove ID | add --name NAME [--id ID] [--domain D …]
                | set ID [--sso-required true|false] [--jit true|false] [--restrict-to-verified-domains true|false]
                | domains add|remove|verify ID DOMAIN [--admin]
                                         customers, their email domains (verified by DNS TXT) and policy
  inspect [FILE | -] [--connection ID]   decode a SAML message and explain every check
  users list [--connection ID]           the provisioned users
  scim-tokens create ORG [--name NAME] | list ORG | revoke ID [--json]
                                         SCIM bearer tokens of an organization (shown once)
  keys list [--connection ID] | generate --use signing|encryption [--connection ID]
       | add --use USE --cert PEM-FILE --key-ref REF | promote ID | retire ID [--json]
                                         the SP key ring: next -> active -> retired, with dates
  traces show ID [--raw] [--json]        one sign-in or logout trace, its checklist as inspect prints it
  traces list [--connection ID] [--failed] [--limit N] [--json]
                                         recent traces, newest first
  admin-tokens create --name NAME | list | revoke ID [--json]
                                         named admin tokens (the token is printed once)
  audit export [--since ISO-TIME]        the audit log as JSON lines
  setup-links create ORG [--days N] | list ORG | revoke ID [--json]
                                         self-service setup links for a customer's IT admin
                                         (7 days by default, at most 30; the URL is shown once)
  webhooks list | add --url URL [--event TYPE]... [--description TEXT] | remove ID
  webhooks deliveries [--endpoint ID] [--status pending|delivered|failed] | show MSG-ID | redeliver MSG-ID
                                         webhook endpoints (secret shown once), the delivery log, resending
  oidc-clients add --name N --redirect-uri URI [--public] [--organization ID]
  oidc-clients list | remove CLIENT_ID   the OpenID bridge's relying parties (secret shown once)

Configuration comes from the environment (PORT, BASE_URL, DATABASE_URL, ...; see README).
Exit codes: 0 success, 1 a check failed or the input was rejected, 2 bad usage.
`;
}

/** parseArgs with our usage error on unknown flags. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** Config, stores and the SP, as the server would have them. */
export async function openContext(options: { devIdpDefault?: boolean } = {}): Promise<{
  config: ResolvedConfig;
  sp: ServiceProvider;
  keyRing: KeyRing;
  /** The audit log on the same store as the server's; CLI changes are recorded there too. */
  audit: AuditLog;
  identities: AdminIdentities;
  /** Who the CLI acts as: `cli:<OS user>`. */
  change: ChangeContext;
  close: () => Promise<void>;
}> {
  const config = loadConfig(process.env, options);
  const keys = await loadSpKeys(config);
  const stores = await openStores({
    databaseUrl: config.databaseUrl,
    redisUrl: config.redisUrl,
    redisSentinelPassword: config.redisSentinelPassword,
  });
  const audit = new AuditLog(stores.auditLog ? { store: stores.auditLog } : {});
  const keyRing = await openKeyRing(config, stores, keys, { audit });
  const sp = new ServiceProvider({
    baseUrl: config.baseUrl,
    entityId: config.spEntityId,
    keys,
    keyRing,
    stores,
  });
  const identities = new AdminIdentities({
    ...(stores.adminTokens ? { store: stores.adminTokens } : {}),
    bootstrapToken: config.adminToken,
    audit,
  });
  const change: ChangeContext = { actor: { kind: 'cli', name: `cli:${cliUser()}` } };
  return { config, sp, keyRing, audit, identities, change, close: () => stores.close() };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The OS account running the CLI (the audit log's actor name); "unknown" where the OS cannot say. */
function cliUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
