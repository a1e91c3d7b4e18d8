import { readFile } from 'node:fs/promises';
import { SamlSpError } from '../../core/errors.ts';
import { type Connection, PRESET_NAMES, type PresetName } from '../../core/types.ts';
import { connectionView } from '../../sp/connection-view.ts';
import { connectionFromMetadata } from '../../sp/connections.ts';
import { fetchMetadata } from '../../sp/metadata-fetch.ts';
import type { ServiceProvider } from '../../sp/service-provider.ts';
import { openContext, parse, printJson, UsageError } from '../commands.ts';

const SUBCOMMANDS = 'add | list | show ID | remove ID | refresh ID';

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
    json: { type: 'boolean' },
  });
  const [sub, target] = positionals;
  if (!sub) throw new UsageError(`Usage: saml-sp connections ${SUBCOMMANDS}`);
  const ctx = await openContext();
  const { sp } = ctx;
  try {
    switch (sub) {
      case 'add': {
        if (!values.id) throw new UsageError('connections add needs --id ID');
        if (!values.metadata === !values['metadata-url'])
          throw new UsageError('connections add needs exactly one of --metadata FILE or --metadata-url URL');
        const preset = parsePreset(values.preset);
        const metadataXml = values.metadata
          ? await readFile(values.metadata, 'utf8')
          : await fetchMetadata(values['metadata-url'] as string);
        if (await sp.stores.connections.get(values.id))
          throw new UsageError(`A connection "${values.id}" already exists (remove it first).`);
        const connection = connectionFromMetadata(
          {
            id: values.id,
            metadataXml,
            preset,
            ...(values['display-name'] ? { displayName: values['display-name'] } : {}),
            ...(values['metadata-url'] ? { metadataUrl: values['metadata-url'] } : {}),
            ...(values['idp-entity-id'] ? { idpEntityId: values['idp-entity-id'] } : {}),
            ...(values['allow-idp-initiated'] ? { policy: { allowIdpInitiated: true } } : {}),
          },
          new Date(),
        );
        await sp.stores.connections.put(connection);
        printSummary(sp, connection.id, connection);
        return 0;
      }
      case 'list': {
        const list = await sp.stores.connections.list();
        if (values.json) printJson(list.map((c) => connectionView(sp, c)));
        else if (list.length === 0) process.stdout.write('No connections.\n');
        else
          for (const c of list)
            process.stdout.write(`${c.id}\t${c.preset}\t${c.idpEntityId}\t${c.displayName}\n`);
        return 0;
      }
      case 'show': {
        const c = await sp.connection(required(target, 'show'));
        printJson(connectionView(sp, c));
        return 0;
      }
      case 'remove': {
        const removed = await sp.stores.connections.delete(required(target, 'remove'));
        if (!removed) throw notFound(target as string);
        process.stdout.write(`Removed connection "${target}".\n`);
        return 0;
      }
      case 'refresh': {
        const c = await sp.connection(required(target, 'refresh'));
        if (!c.metadataUrl) {
          throw new SamlSpError(
            'SAML_METADATA_INVALID',
            `Connection "${c.id}" was created from a file, not a URL.`,
            {
              hint: 'Re-create it with --metadata-url, or remove and add it again with the new file.',
            },
          );
        }
        const metadataXml = await fetchMetadata(c.metadataUrl);
        const fresh = connectionFromMetadata(
          {
            id: c.id,
            displayName: c.displayName,
            metadataXml,
            metadataUrl: c.metadataUrl,
            idpEntityId: c.idpEntityId,
            preset: c.preset,
            attributeMapping: c.attributeMapping,
            policy: c.policy,
            ...(c.spEntityId ? { spEntityId: c.spEntityId } : {}),
          },
          new Date(),
        );
        await sp.stores.connections.put({ ...fresh, createdAt: c.createdAt });
        printSummary(sp, c.id, fresh);
        return 0;
      }
      default:
        throw new UsageError(`Unknown subcommand "${sub}". Use: ${SUBCOMMANDS}`);
    }
  } finally {
    await ctx.close();
  }
}

function printSummary(sp: ServiceProvider, id: string, c: Connection): void {
  const v = connectionView(sp, c);
  process.stdout.write(
    `Connection "${id}" (${c.preset}) trusts ${c.signingCertificates.length} certificate(s) of ${c.idpEntityId}.
Give the IdP admin these SP values:
  Entity ID / Audience: ${v.spEntityId}
  ACS URL (HTTP-POST):  ${v.acsUrl}
  SLO URL:              ${v.spSloUrl}
  SP metadata:          ${v.metadataUrl}
`,
  );
}

function parsePreset(value: string | undefined): PresetName {
  if (value === undefined) return 'generic';
  if ((PRESET_NAMES as readonly string[]).includes(value)) return value as PresetName;
  throw new UsageError(`Unknown preset "${value}". Choose one of: ${PRESET_NAMES.join(', ')}`);
}

function required(value: string | undefined, sub: string): string {
  if (!value) throw new UsageError(`Usage: saml-sp connections ${sub} ID`);
  return value;
}

function notFound(id: string): SamlSpError {
  return new SamlSpError('SAML_CONNECTION_NOT_FOUND', `There is no connection "${id}".`, {
    hint: 'See `saml-sp connections list`.',
    status: 404,
  });
}
