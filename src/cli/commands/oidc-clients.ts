import { randomBytes } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';
import { createOidcBridge } from '../../oidc/bridge.ts';
import { OidcClientService } from '../../oidc/clients.ts';
import { MemoryOidcStore } from '../../store/memory/oidc.ts';
import { openContext, parse, printJson, UsageError } from '../commands.ts';

const USAGE = `Usage: saml-sp oidc-clients add --name NAME --redirect-uri URI [--redirect-uri URI ...] [--public]
                            [--organization ID] [--backchannel-logout-uri URI] [--json]
       saml-sp oidc-clients list [--json] | remove CLIENT_ID`;

/** `saml-sp oidc-clients`: the OpenID bridge's relying parties, on the same store as the server. */
export async function oidcClientsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    name: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    public: { type: 'boolean' },
    organization: { type: 'string' },
    'backchannel-logout-uri': { type: 'string' },
    json: { type: 'boolean' },
  });
  const [sub, id] = positionals;
  if (!['add', 'list', 'remove'].includes(sub ?? '') || (sub === 'remove' && !id))
    throw new UsageError(USAGE);
  if (sub === 'add' && (!values.name || !values['redirect-uri']?.length)) throw new UsageError(USAGE);
  const ctx = await openContext();
  try {
    const store = ctx.sp.stores.oidc ?? new MemoryOidcStore();
    // The provider only validates the registration here: its cookies are never used.
    const bridge = createOidcBridge({
      sp: ctx.sp,
      store,
      issuer: ctx.config.oidc?.issuer ?? ctx.config.baseUrl,
      sessionCookieName: ctx.config.sessionCookieName,
      cookieKeys: [randomBytes(32).toString('base64url')],
    });
    const clients = new OidcClientService({
      store,
      validate: async (metadata) => {
        await (await bridge.provider()).Client.validate(metadata as unknown as ClientMetadata);
      },
    });
    const actor = { actor: { kind: 'cli' as const, name: 'cli' } };
    if (sub === 'add') {
      const created = await clients.create(
        {
          name: values.name,
          redirectUris: values['redirect-uri'],
          ...(values.public ? { public: true } : {}),
          ...(values.organization ? { organizationId: values.organization } : {}),
          ...(values['backchannel-logout-uri']
            ? { backchannelLogoutUri: values['backchannel-logout-uri'] }
            : {}),
        },
        actor,
      );
      if (values.json) printJson({ clientId: created.client.clientId, clientSecret: created.clientSecret });
      else {
        process.stdout.write(`client_id:     ${created.client.clientId}\n`);
        if (created.clientSecret) {
          process.stdout.write(
            `client_secret: ${created.clientSecret}\n(shown once: only its hash is stored)\n`,
          );
        }
      }
      return 0;
    }
    if (sub === 'remove') {
      await clients.remove(id!, actor);
      process.stdout.write(`Removed OpenID client ${id}.\n`);
      return 0;
    }
    const list = await clients.list();
    if (values.json) printJson(list);
    else if (list.length === 0) process.stdout.write('No OpenID clients yet.\n');
    else {
      for (const c of list) {
        process.stdout.write(
          `${c.clientId}\t${c.name}\t${c.public ? 'public' : 'confidential'}\t${c.redirectUris.join(' ')}\n`,
        );
      }
    }
    return 0;
  } finally {
    await ctx.close();
  }
}
