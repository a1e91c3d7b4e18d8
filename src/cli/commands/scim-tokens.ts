/** `saml-sp scim-tokens create ORG [--name NAME] | list ORG | revoke ID [--json]`: SCIM bearer tokens (issue #14). */
import { organizationDirectory, ScimTokens } from '../../scim/index.ts';
import type { ChangeContext } from '../../sp/change-context.ts';
import { openContext, parse, printJson, UsageError } from '../commands.ts';

const USAGE = 'Usage: saml-sp scim-tokens create ORG [--name NAME] | list ORG | revoke ID [--json]';
const CLI: ChangeContext = { actor: { kind: 'cli', name: 'cli' } };

export async function scimTokensCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { name: { type: 'string' }, json: { type: 'boolean' } });
  const [action, target, ...rest] = positionals;
  if (!target || rest.length > 0 || !['create', 'list', 'revoke'].includes(action ?? '')) {
    throw new UsageError(USAGE);
  }
  const ctx = await openContext();
  try {
    const store = ctx.sp.stores.scim;
    if (!store) {
      process.stderr.write('This store has no SCIM directory.\n');
      return 1;
    }
    const tokens = new ScimTokens({ store });
    if (action === 'revoke') {
      if (!(await tokens.revoke(target, CLI))) {
        process.stderr.write(`No live SCIM token ${target} (scim-tokens list ORG shows them).\n`);
        return 1;
      }
      process.stdout.write(`Revoked SCIM token ${target}.\n`);
      return 0;
    }
    if (
      !(await organizationDirectory(() => ctx.sp.organizations, ctx.sp.stores.connections).exists(target))
    ) {
      process.stderr.write(`There is no organization "${target}".\n`);
      return 1;
    }
    if (action === 'create') {
      const created = await tokens.create(target, values.name ? { name: values.name } : {}, CLI);
      if (values.json) printJson({ ...created.view, token: created.token });
      else {
        process.stdout.write(
          `Token ${created.id} for organization ${target} (shown once; paste it into the IdP's provisioning settings):\n${created.token}\n`,
        );
      }
      return 0;
    }
    const list = await tokens.list(target);
    if (values.json) printJson(list);
    else if (list.length === 0) process.stdout.write(`Organization ${target} has no SCIM tokens.\n`);
    else {
      for (const t of list) {
        const state = t.revokedAt ? `revoked ${t.revokedAt}` : 'live';
        process.stdout.write(
          `${t.id}\t${t.name ?? '-'}\tcreated ${t.createdAt}\tlast used ${t.lastUsedAt ?? 'never'}\t${state}\n`,
        );
      }
    }
    return 0;
  } finally {
    await ctx.close();
  }
}
