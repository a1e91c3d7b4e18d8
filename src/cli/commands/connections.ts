/**
 * `saml-sp connections add | list | show | update | activate | remove | refresh`: connection management on the
 * same store and the same ConnectionService as the server's admin API and page. Changes are recorded with the
 * actor `cli` (the connection's history, the audit log).
 */
import { readFile } from 'node:fs/promises';
import { SP_ENTITY_ID_MODES, type SpEntityIdMode } from '../../core/connection-lifecycle.ts';
import { PRESET_NAMES, type PresetName } from '../../core/types.ts';
import { type CertificateWarning, certificateWarnings } from '../../events/index.ts';
import type { CreateConnectionInput, UpdateConnectionInput } from '../../sp/connection-input.ts';
import { ConnectionService } from '../../sp/connection-service.ts';
import type { ConnectionView } from '../../sp/connection-view.ts';
import { openContext, parse, printJson, UsageError } from '../commands.ts';

const SUBCOMMANDS = 'add | list | show ID | update ID | activate ID | remove ID | refresh ID';
const SUBCOMMAND_NAMES = ['add', 'list', 'show', 'update', 'activate', 'remove', 'refresh'];

/** `saml-sp connections <sub>`: manage connections on the same store as the server. */
export async function connectionsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    id: { type: 'string' },
    metadata: { type: 'string' },
    'metadata-url': { type: 'string' },
    preset: { type: 'string' },
    'display-name': { type: 'string' },
    'idp-entity-id': { type: 'string' },
    'allow-idp-initiated': { type: 'boolean' },
    'own-sp-entity-id': { type: 'boolean' },
    organization: { type: 'string' },
    'sp-entity-id': { type: 'string' },
    'sp-entity-id-mode': { type: 'string' },
    'metadata-signing-cert': { type: 'string', multiple: true },
    'metadata-max-bytes': { type: 'string' },
    'require-test': { type: 'boolean' },
    'allow-duplicate-name': { type: 'boolean' },
    override: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const [sub, target] = positionals;
  if (!sub) throw new UsageError(`Usage: saml-sp connections ${SUBCOMMANDS}`);
  if (!SUBCOMMAND_NAMES.includes(sub)) {
    throw new UsageError(`Unknown subcommand "${sub}". Use: ${SUBCOMMANDS}`);
  }
  if (values.metadata && values['metadata-url']) {
    throw new UsageError('give --metadata FILE or --metadata-url URL, not both');
  }
  const mode = parseMode(values['sp-entity-id-mode']);
  if (sub === 'add') {
    // Without metadata the connection is a draft: its SP values exist at once, the metadata comes later.
    if (!values.id && !values['display-name']) throw new UsageError('connections add needs --id ID');
  } else if (sub !== 'list' && !target) {
    throw new UsageError(`Usage: saml-sp connections ${sub} ID`);
  }
  const preset = parsePreset(values.preset);
  const metadataMaxBytes = parseByteSize(values['metadata-max-bytes']);
  const ctx = await openContext();
  const connections = new ConnectionService({ sp: ctx.sp, audit: ctx.audit });
  try {
    switch (sub) {
      case 'add': {
        const pins = await Promise.all(
          (values['metadata-signing-cert'] ?? []).map((file) => readFile(file, 'utf8')),
        );
        const input: CreateConnectionInput = {
          ...(values.id ? { id: values.id } : {}),
          displayName: values['display-name'] ?? (values.id as string),
          ...(values.metadata ? { metadataXml: await readFile(values.metadata, 'utf8') } : {}),
          ...(values['metadata-url'] ? { metadataUrl: values['metadata-url'] } : {}),
          preset: preset ?? 'generic',
          ...(values['idp-entity-id'] ? { idpEntityId: values['idp-entity-id'] } : {}),
          ...(values['allow-idp-initiated'] ? { allowIdpInitiated: true } : {}),
          ...(values['own-sp-entity-id'] ? { ownSpEntityId: true } : {}),
          ...(values.organization ? { organizationId: values.organization } : {}),
          ...(values['sp-entity-id'] ? { spEntityId: values['sp-entity-id'], spEntityIdMode: 'custom' } : {}),
          ...(mode && !values['sp-entity-id'] ? { spEntityIdMode: mode } : {}),
          ...(pins.length ? { metadataSigningCertificates: pins } : {}),
          ...(values['require-test'] ? { requireTest: true } : {}),
          ...(values['allow-duplicate-name'] ? { allowDuplicateName: true } : {}),
          ...(typeof metadataMaxBytes === 'number' ? { policy: { metadataMaxBytes } } : {}),
        };
        const view = await connections.view(await connections.create(input, ctx.change));
        if (values.json) printJson(view);
        else printSummary(view);
        return 0;
      }
      case 'list': {
        const views = await connections.views();
        // The most urgent certificate warning per connection (the admin page shows the same as a banner).
        const warnings = new Map<string, CertificateWarning>();
        for (const w of certificateWarnings(await connections.list(), ctx.sp.now())) {
          if (!warnings.has(w.connectionId)) warnings.set(w.connectionId, w);
        }
        if (values.json) {
          printJson(views.map((v) => ({ ...v, certificateWarning: warnings.get(v.id) ?? null })));
        } else if (views.length === 0) process.stdout.write('No connections.\n');
        else {
          for (const v of views) {
            const warning = warnings.get(v.id);
            process.stdout.write(
              `${v.id}\t${v.health.status}\t${v.preset}\t${v.metadata.source}\t${v.idpEntityId}\t${v.displayName}${warning ? `\t${certificateMarker(warning)}` : ''}\n`,
            );
          }
        }
        return 0;
      }
      case 'show': {
        const view = await connections.view(target as string);
        if (values.json) printJson(view);
        else printDetails(view);
        return 0;
      }
      case 'update': {
        const pins = await Promise.all(
          (values['metadata-signing-cert'] ?? []).map((file) => readFile(file, 'utf8')),
        );
        const patch: UpdateConnectionInput = {
          ...(values['display-name'] ? { displayName: values['display-name'] } : {}),
          ...(values.metadata ? { metadataXml: await readFile(values.metadata, 'utf8') } : {}),
          ...(values['metadata-url'] ? { metadataUrl: values['metadata-url'] } : {}),
          ...(values['idp-entity-id'] ? { idpEntityId: values['idp-entity-id'] } : {}),
          ...(preset ? { preset } : {}),
          ...(values['sp-entity-id'] ? { spEntityId: values['sp-entity-id'] } : {}),
          ...(mode && !values['sp-entity-id'] ? { spEntityIdMode: mode } : {}),
          ...(pins.length ? { metadataSigningCertificates: pins } : {}),
          ...(values['allow-duplicate-name'] ? { allowDuplicateName: true } : {}),
          ...(metadataMaxBytes !== undefined ? { policy: { metadataMaxBytes } } : {}),
        };
        if (Object.keys(patch).length === 0) {
          throw new UsageError(
            'connections update needs a change: --display-name, --metadata, --metadata-url, --sp-entity-id(-mode), --metadata-signing-cert, --preset, --metadata-max-bytes',
          );
        }
        const view = await connections.view(await connections.update(target as string, patch, ctx.change));
        if (values.json) printJson(view);
        else printSummary(view);
        return 0;
      }
      case 'activate': {
        const view = await connections.view(
          await connections.activate(target as string, { override: !!values.override }, ctx.change),
        );
        if (values.json) printJson(view);
        else process.stdout.write(`Connection "${view.id}" is active (${view.activation?.via}).\n`);
        return 0;
      }
      case 'remove': {
        await connections.remove(target as string, ctx.change);
        process.stdout.write(`Removed connection "${target}".\n`);
        return 0;
      }
      default: {
        const outcome = await connections.refresh(target as string, ctx.change);
        if (values.json) {
          printJson({
            ...outcome,
            error: outcome.error?.toJSON(),
            connection: await connections.view(outcome.connection),
          });
        } else if (outcome.error) {
          process.stderr.write(
            `saml-sp: refresh of "${target}" failed: ${outcome.error.code}: ${outcome.error.message}\n  hint: ${outcome.error.hint}\n  The last good metadata (${outcome.connection.metadataStatus?.importedAt}) stays in use.\n`,
          );
        } else {
          process.stdout.write(
            `Refreshed "${target}": ${outcome.changed ? 'metadata changed' : 'unchanged'}; ` +
              `${outcome.added.length} new, ${outcome.retained.length} kept for rollover, ${outcome.dropped.length} dropped certificate(s). ` +
              `Trusting ${outcome.connection.signingCertificates.length} certificate(s).\n`,
          );
        }
        return outcome.ok ? 0 : 1;
      }
    }
  } finally {
    await ctx.close();
  }
}

/** The `connections list` marker: "! certificate expires in 6 days (2026-01-07)" or "! certificate EXPIRED …". */
export function certificateMarker(w: CertificateWarning): string {
  const day = w.notAfter.slice(0, 10);
  return w.threshold === 'expired'
    ? `! certificate EXPIRED ${day}`
    : `! certificate expires in ${w.daysLeft} ${w.daysLeft === 1 ? 'day' : 'days'} (${day})`;
}

function printSummary(v: ConnectionView): void {
  const what =
    v.status === 'draft'
      ? `Connection "${v.id}" (${v.preset}) is a draft: add the IdP metadata with \`saml-sp connections update ${v.id} --metadata FILE\`.`
      : `Connection "${v.id}" (${v.preset}, ${v.status}) trusts ${v.signingCertificates.length} certificate(s) of ${v.idpEntityId}.`;
  process.stdout.write(
    `${what}
Give the IdP admin these SP values:
  Entity ID / Audience: ${v.spEntityId}
  ACS URL (HTTP-POST):  ${v.acsUrl}
  SLO URL:              ${v.spSloUrl}
  SP metadata:          ${v.metadataUrl}
`,
  );
  printLint(v, false);
}

function printDetails(v: ConnectionView): void {
  const h = v.health;
  const lines = [
    `${v.displayName} (${v.id})  status: ${v.status}  health: ${h.status}`,
    `  preset: ${v.preset}`,
    `  IdP entity ID: ${v.idpEntityId}`,
    `  SSO: ${v.ssoEndpoints.map((e) => `${e.binding} ${e.location}`).join(', ')}`,
    `  SLO: ${v.sloEndpoints.map((e) => `${e.binding} ${e.location}`).join(', ') || '(none)'}`,
    'SP values for the IdP:',
    `  Entity ID: ${v.spEntityId}`,
    `  ACS URL:   ${v.acsUrl}`,
    `  SLO URL:   ${v.spSloUrl}`,
    `  Metadata:  ${v.metadataUrl}`,
    'Signing certificates:',
    ...v.signingCertificates.map(
      (c) =>
        `  ${c.fingerprintSha256}  ${c.state}${c.retired ? ' (retired, kept for rollover)' : ''}  valid ${c.notBefore.slice(0, 10)}..${c.notAfter.slice(0, 10)}  ${c.subject}`,
    ),
    `Metadata: ${v.metadata.source}${v.metadata.url ? ` ${v.metadata.url}` : ''}, read ${v.metadata.importedAt ?? '?'}${v.metadata.nextRefreshAt ? `, next refresh ${v.metadata.nextRefreshAt}` : ''}`,
    ...(v.metadata.lastError
      ? [
          `  last refresh FAILED ${v.metadata.lastError.at}: ${v.metadata.lastError.code}: ${v.metadata.lastError.message}`,
        ]
      : []),
    `  size limit: ${v.metadata.maxBytes} bytes (download cap ${v.metadata.downloadBytes})${v.policy.metadataMaxBytes === undefined ? ' (default)' : ' (policy.metadataMaxBytes)'}${v.metadata.aggregate ? `; from an aggregate of ${v.metadata.aggregate.entityCount} entities (${v.metadata.aggregate.bytes} bytes), only this entity kept` : ''}`,
    'Policy:',
    `  signature required on: ${v.policy.wantSigned}; SHA-1: ${v.policy.allowSha1 ? 'allowed' : 'refused'}; IdP-initiated: ${v.policy.allowIdpInitiated ? 'allowed' : 'refused'}; clock skew: ${v.policy.clockSkewSeconds} s`,
    `  authentication contexts accepted: ${v.policy.acceptedAuthnContexts?.length ? v.policy.acceptedAuthnContexts.join(', ') : 'any'}; RequestedAuthnContext: ${v.policy.requestedAuthnContext ? `${v.policy.requestedAuthnContext.comparison} ${v.policy.requestedAuthnContext.classRefs.join(', ')}` : 'not sent'}`,
    'Sign-ins:',
    `  last success: ${h.lastSignInAt ?? 'never'}${h.lastSignInNameId ? ` (${h.lastSignInNameId})` : ''}; ${h.successCount} ok, ${h.failureCount} refused`,
    ...(h.lastFailure
      ? [
          `  last failure: ${h.lastFailure.at} ${h.lastFailure.code}: ${h.lastFailure.message}`,
          `    hint: ${h.lastFailure.hint}`,
        ]
      : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  printLint(v, true);
}

function printLint(v: ConnectionView, withInfo: boolean): void {
  const shown = v.lint.filter((l) => withInfo || l.severity !== 'info');
  if (shown.length === 0) return;
  process.stdout.write('Findings:\n');
  for (const l of shown) {
    process.stdout.write(`  [${l.severity}] ${l.id}: ${l.message}\n${l.hint ? `      ${l.hint}\n` : ''}`);
  }
}

function parseMode(value: string | undefined): SpEntityIdMode | undefined {
  if (value === undefined) return undefined;
  if ((SP_ENTITY_ID_MODES as readonly string[]).includes(value)) return value as SpEntityIdMode;
  throw new UsageError(
    `Unknown --sp-entity-id-mode "${value}". Choose one of: ${SP_ENTITY_ID_MODES.join(', ')}`,
  );
}

/**
 * `--metadata-max-bytes`: bytes, or a number with KiB / MiB ("64MiB"); "default" clears the setting (null).
 * The bounds (16 KiB to 64 MiB) are the service's to check, as for the admin API.
 */
export function parseByteSize(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'default') return null;
  const match = /^(\d+)\s*(KiB|MiB)?$/i.exec(value.trim());
  if (!match) {
    throw new UsageError(
      `--metadata-max-bytes "${value}" is not a size: give bytes, or KiB / MiB (for example 64MiB), or "default".`,
    );
  }
  const unit = match[2]?.toLowerCase();
  return Number(match[1]) * (unit === 'mib' ? 1024 * 1024 : unit === 'kib' ? 1024 : 1);
}

function parsePreset(value: string | undefined): PresetName | undefined {
  if (value === undefined) return undefined;
  if ((PRESET_NAMES as readonly string[]).includes(value)) return value as PresetName;
  throw new UsageError(`Unknown preset "${value}". Choose one of: ${PRESET_NAMES.join(', ')}`);
}
