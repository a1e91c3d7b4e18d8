/**
 * `saml-sp organizations …`: organizations (customers) and their email domains, on the same store and the
 * same OrganizationService as the server's admin API and page.
 *
 *   organizations list | show ID | remove ID
 *   organizations add --name NAME [--id ID] [--domain D …] [--sso-required] [--no-jit] [--no-domain-restriction]
 *   organizations set ID [--name NAME] [--sso-required true|false] [--jit true|false]
 *                        [--restrict-to-verified-domains true|false]
 *   organizations domains add ID DOMAIN | remove ID DOMAIN | verify ID DOMAIN [--admin]
 */
import type { ChangeContext } from '../../sp/change-context.ts';
import { createTxtResolver } from '../../sp/domain-verification.ts';
import { OrganizationService } from '../../sp/organization-service.ts';
import type { OrganizationView } from '../../sp/organization-view.ts';
import { openContext, parse, printJson, UsageError } from '../commands.ts';

const USAGE = `Usage: saml-sp organizations list | show ID | remove ID
       saml-sp organizations add --name NAME [--id ID] [--domain DOMAIN …] [--sso-required] [--no-jit]
       saml-sp organizations set ID [--name NAME] [--sso-required true|false] [--jit true|false]
                                    [--restrict-to-verified-domains true|false]
       saml-sp organizations domains add|remove ID DOMAIN
       saml-sp organizations domains verify ID DOMAIN [--admin]   (DNS TXT check; --admin: take your word)`;

const CLI_CONTEXT: ChangeContext = { actor: { kind: 'cli', name: 'cli' } };

/** `saml-sp organizations <sub>`. */
export async function organizationsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    id: { type: 'string' },
    name: { type: 'string' },
    domain: { type: 'string', multiple: true },
    'sso-required': { type: 'string' },
    jit: { type: 'string' },
    'no-jit': { type: 'boolean' },
    'restrict-to-verified-domains': { type: 'string' },
    admin: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const [sub, ...rest] = positionals;
  const plan = planOf(sub, rest, values);
  const ctx = await openContext();
  const organizations = new OrganizationService({
    sp: ctx.sp,
    resolver: createTxtResolver(ctx.config.dnsServers ? { servers: ctx.config.dnsServers } : {}),
  });
  try {
    const result = await plan(organizations);
    if (result === undefined) return 0;
    if (values.json) printJson(result);
    else if (Array.isArray(result)) printList(result);
    else printOne(result);
    return 0;
  } finally {
    await ctx.close();
  }
}

type Values = ReturnType<typeof parse>['values'];
type Plan = (
  organizations: OrganizationService,
) => Promise<OrganizationView | OrganizationView[] | undefined>;

/** Checks the usage before anything is opened (exit 2 without touching the store). */
function planOf(sub: string | undefined, rest: string[], values: Values): Plan {
  const [id] = rest;
  const needId = () => {
    if (!id) throw new UsageError(USAGE);
    return id;
  };
  switch (sub) {
    case 'list':
      return (o) => o.views();
    case 'show': {
      const target = needId();
      return (o) => o.view(target);
    }
    case 'remove': {
      const target = needId();
      return async (o) => {
        await o.remove(target, CLI_CONTEXT);
        process.stdout.write(`Removed organization ${target}.\n`);
        return undefined;
      };
    }
    case 'add': {
      if (typeof values.name !== 'string') throw new UsageError('organizations add needs --name NAME');
      const input = {
        name: values.name,
        ...(typeof values.id === 'string' ? { id: values.id } : {}),
        ...(Array.isArray(values.domain) ? { domains: values.domain.map(String) } : {}),
        policy: {
          ...(values['sso-required'] !== undefined
            ? { ssoRequired: flag(values['sso-required'], 'sso-required') }
            : {}),
          ...(values['no-jit'] ? { jit: false } : {}),
        },
      };
      return async (o) => o.view(await o.create(input, CLI_CONTEXT));
    }
    case 'set': {
      const target = needId();
      const policy = {
        ...(values['sso-required'] !== undefined
          ? { ssoRequired: flag(values['sso-required'], 'sso-required') }
          : {}),
        ...(values.jit !== undefined ? { jit: flag(values.jit, 'jit') } : {}),
        ...(values['restrict-to-verified-domains'] !== undefined
          ? {
              restrictToVerifiedDomains: flag(
                values['restrict-to-verified-domains'],
                'restrict-to-verified-domains',
              ),
            }
          : {}),
      };
      const input = { ...(typeof values.name === 'string' ? { name: values.name } : {}), policy };
      return async (o) => o.view(await o.update(target, input, CLI_CONTEXT));
    }
    case 'domains': {
      const [action, orgId, name] = rest;
      if (!action || !orgId || !name || !['add', 'remove', 'verify'].includes(action))
        throw new UsageError(USAGE);
      return async (o) => {
        if (action === 'add') return o.view(await o.addDomain(orgId, name, CLI_CONTEXT));
        if (action === 'remove') return o.view(await o.removeDomain(orgId, name, CLI_CONTEXT));
        return o.view(
          values.admin
            ? await o.markDomainVerified(orgId, name, CLI_CONTEXT)
            : await o.verifyDomain(orgId, name, CLI_CONTEXT),
        );
      };
    }
    default:
      throw new UsageError(sub ? `Unknown subcommand "${sub}".\n${USAGE}` : USAGE);
  }
}

function flag(value: unknown, name: string): boolean {
  if (value === 'true' || value === 'on' || value === 'yes') return true;
  if (value === 'false' || value === 'off' || value === 'no') return false;
  throw new UsageError(`--${name} takes true or false, got "${String(value)}"`);
}

function printList(views: OrganizationView[]): void {
  if (views.length === 0) {
    process.stdout.write('No organizations.\n');
    return;
  }
  for (const v of views) {
    const domains = v.domains.map((d) => `${d.domain}${d.verified ? '' : ' (unverified)'}`).join(', ') || '-';
    process.stdout.write(`${v.id}\t${v.name}\t${domains}\tconnections: ${v.connections.join(', ') || '-'}\n`);
  }
}

function printOne(v: OrganizationView): void {
  const out = [
    `Organization ${v.id}: ${v.name}`,
    `  connections: ${v.connections.join(', ') || '(none)'}`,
    `  policy: ssoRequired=${v.policy.ssoRequired} jit=${v.policy.jit} restrictToVerifiedDomains=${v.policy.restrictToVerifiedDomains} (${v.enforcement.restrictToVerifiedDomains})`,
    '  domains:',
    ...(v.domains.length === 0 ? ['    (none)'] : []),
    ...v.domains.map((d) =>
      d.verified
        ? `    ${d.domain}: verified ${d.verifiedAt} (${d.verificationMethod}, by ${d.verifiedBy})`
        : `    ${d.domain}: NOT VERIFIED. Publish: ${d.challenge.name} TXT "${d.challenge.value}"`,
    ),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
