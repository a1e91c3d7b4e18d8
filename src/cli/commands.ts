/** The command table and the shared plumbing of the CLI. */
import { userInfo } from 'node:os';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { AdminIdentities, AuditLog } from '../audit/index.ts';
import { loadConfig, type ResolvedConfig } from '../config.ts';
import { loadSpKeys } from '../server.ts';
import type { ChangeContext } from '../sp/change-context.ts';
import { ServiceProvider } from '../sp/service-provider.ts';
import { openStores } from '../store/index.ts';
import { adminTokensCommand } from './commands/admin-tokens.ts';
import { auditCommand } from './commands/audit.ts';
import { connectionsCommand } from './commands/connections.ts';
import { initCommand } from './commands/init.ts';
import { inspectCommand } from './commands/inspect.ts';
import { metadataCommand } from './commands/metadata.ts';
import { serveCommand } from './commands/serve.ts';
import { setupLinksCommand } from './commands/setup-links.ts';
import { tracesCommand } from './commands/traces.ts';
import { usersCommand } from './commands/users.ts';

export type Command = (args: string[]) => Promise<number>;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const COMMANDS: Record<string, Command> = {
  init: initCommand,
  serve: serveCommand,
  metadata: metadataCommand,
  connections: connectionsCommand,
  users: usersCommand,
  inspect: inspectCommand,
  traces: tracesCommand,
  'admin-tokens': adminTokensCommand,
  audit: auditCommand,
  'setup-links': setupLinksCommand,
};

export function usage(): string {
  return `Usage: saml-sp <command> [options]

  init                                   generate SP keys and certificates into certs/ (idempotent)
  serve [--dev-idp]                      start the server (DEV_IDP=on also enables the embedded IdP)
  metadata [--connection ID] [--out FILE]
                                         print or write the signed SP metadata
  connections add --id ID (--metadata FILE | --metadata-url URL) [--preset NAME] [--display-name NAME]
                  [--idp-entity-id ID] [--allow-idp-initiated] [--own-sp-entity-id]
                  [--metadata-signing-cert PEM-FILE] [--json]
  connections list | show ID | remove ID | refresh ID [--json]
                                         show prints health and lint findings; refresh keeps
                                         certificates of a rollover for a grace period
  inspect [FILE | -] [--connection ID]   decode a SAML message and explain every check
  users list [--connection ID]           the provisioned users
  traces show ID [--raw] [--json]        one sign-in or logout trace, its checklist as inspect prints it
  traces list [--connection ID] [--failed] [--limit N] [--json]
                                         recent traces, newest first
  admin-tokens create --name NAME | list | revoke ID [--json]
                                         named admin tokens (the token is printed once)
  audit export [--since ISO-TIME]        the audit log as JSON lines
  setup-links create ORG [--days N] | list ORG | revoke ID [--json]
                                         self-service setup links for a customer's IT admin
                                         (7 days by default, at most 30; the URL is shown once)

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
  const sp = new ServiceProvider({ baseUrl: config.baseUrl, entityId: config.spEntityId, keys, stores });
  const audit = new AuditLog(stores.auditLog ? { store: stores.auditLog } : {});
  const identities = new AdminIdentities({
    ...(stores.adminTokens ? { store: stores.adminTokens } : {}),
    bootstrapToken: config.adminToken,
    audit,
  });
  const change: ChangeContext = { actor: { kind: 'cli', name: `cli:${cliUser()}` } };
  return { config, sp, audit, identities, change, close: () => stores.close() };
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
