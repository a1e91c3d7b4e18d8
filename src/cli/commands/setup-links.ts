/**
 * `saml-sp setup-links create ORG [--days N] | list ORG | revoke ID`: the setup links of an organization, on
 * the same store and the same SetupLinkService as the admin API. The URL (with its token) is printed once, at
 * creation; `list` never shows it.
 */
import { SetupLinkService } from '../../org/setup-links/index.ts';
import { openContext, parse, printJson, UsageError } from '../commands.ts';

const USAGE = 'Usage: saml-sp setup-links create ORG [--days N] | list ORG | revoke ID [--json]';

export async function setupLinksCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { days: { type: 'string' }, json: { type: 'boolean' } });
  const [sub, target] = positionals;
  if (!sub || !['create', 'list', 'revoke'].includes(sub) || !target || positionals.length > 2) {
    throw new UsageError(USAGE);
  }
  if (values.days !== undefined && (sub !== 'create' || !/^\d+$/.test(values.days))) {
    throw new UsageError(`--days takes a whole number of days (1 to 30), with create only. ${USAGE}`);
  }
  const ctx = await openContext();
  try {
    const store = ctx.sp.stores.setupLinks;
    if (!store) {
      process.stderr.write('saml-sp: this DATABASE_URL backend keeps no setup links.\n');
      return 1;
    }
    const links = new SetupLinkService({
      store,
      baseUrl: ctx.config.baseUrl,
      organizations: ctx.sp.organizations,
      audit: ctx.audit,
    });
    switch (sub) {
      case 'create': {
        const created = await links.create(
          target,
          values.days !== undefined ? { expiresInDays: Number(values.days) } : {},
          ctx.change,
        );
        if (values.json) printJson(created);
        else {
          process.stdout.write(
            `Setup link ${created.id} for "${target}", valid until ${created.expiresAt}:\n${created.url}\n` +
              'Send it to the customer’s IT admin. It is shown only now; revoke it with `saml-sp setup-links revoke ' +
              `${created.id}\`.\n`,
          );
        }
        return 0;
      }
      case 'list': {
        const list = await links.list(target);
        if (values.json) printJson(list);
        else if (list.length === 0) process.stdout.write(`No setup links for "${target}".\n`);
        else {
          for (const l of list) {
            process.stdout.write(
              `${l.id}\t${l.status}\tuntil ${l.expiresAt}\tcreated ${l.createdAt} by ${l.createdBy}${l.activatedAt ? `\tactivated ${l.activatedAt}` : ''}\n`,
            );
          }
        }
        return 0;
      }
      default: {
        const revoked = await links.revoke(target, ctx.change);
        if (values.json) printJson(revoked);
        else process.stdout.write(`Revoked setup link ${revoked.id} of "${revoked.organizationId}".\n`);
        return 0;
      }
    }
  } finally {
    await ctx.close();
  }
}
