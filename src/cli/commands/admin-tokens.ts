/** `saml-sp admin-tokens create --name NAME | list | revoke ID`: the named admin tokens, as the API manages them. */
import { openContext, parse, printJson, UsageError } from '../commands.ts';

const USAGE = 'Usage: saml-sp admin-tokens create --name NAME | list | revoke ID [--json]';

export async function adminTokensCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { name: { type: 'string' }, json: { type: 'boolean' } });
  const [action, target] = positionals;
  if (action === 'create' && !values.name) throw new UsageError(`${USAGE}\n(create needs --name)`);
  if (action === 'revoke' && !target) throw new UsageError(`${USAGE}\n(revoke needs the token id)`);
  if (!['create', 'list', 'revoke'].includes(action ?? '')) throw new UsageError(USAGE);
  const ctx = await openContext();
  try {
    if (action === 'create') {
      const created = await ctx.identities.create({ name: values.name as string }, ctx.change);
      if (values.json) printJson(created);
      else {
        process.stdout.write(
          `Created admin token "${created.name}" (id ${created.id}). Copy it now, it is not shown again:\n${created.token}\n`,
        );
      }
      return 0;
    }
    if (action === 'revoke') {
      const revoked = await ctx.identities.revoke(target as string, ctx.change);
      if (values.json) printJson(revoked);
      else process.stdout.write(`Revoked admin token "${revoked.name}" (id ${revoked.id}).\n`);
      return 0;
    }
    const tokens = await ctx.identities.list();
    if (values.json) printJson(tokens);
    else if (tokens.length === 0)
      process.stdout.write('No named admin tokens yet (ADMIN_TOKEN is "bootstrap").\n');
    else {
      for (const t of tokens) {
        process.stdout.write(
          `${t.id}\t${t.name}\tcreated ${t.createdAt} by ${t.createdBy}\tlast used ${t.lastUsedAt ?? 'never'}${t.revokedAt ? `\trevoked ${t.revokedAt}` : ''}\n`,
        );
      }
    }
    return 0;
  } finally {
    await ctx.close();
  }
}
