/**
 * Proving control of an email domain by DNS: the customer publishes a TXT record (see `domainChallenge`), and
 * we look it up through an injectable resolver. The default resolver is node:dns/promises' `Resolver`, whose
 * servers can be set (`DNS_SERVERS`) so that tests, and deployments with a split-horizon DNS, ask the server
 * they mean.
 */
import { Resolver } from 'node:dns/promises';
import { AdminError } from './admin-errors.ts';
import type { DomainChallenge } from './organization-view.ts';

/** The one DNS question domain verification asks. `Resolver` from node:dns/promises fits it. */
export interface TxtResolver {
  /** The TXT records at `name`, each as the strings it was split into. */
  resolveTxt(name: string): Promise<string[][]>;
}

export interface DnsResolverOptions {
  /** `host`, `host:port`, `[v6]:port` entries; default: the system's resolvers. */
  servers?: readonly string[];
  /** Per-query timeout in ms (node default 5 s per try). Default 3000. */
  timeoutMs?: number;
  /** Tries per server. Default 2. */
  tries?: number;
}

/**
 * A resolver for domain verification.
 *
 * @example
 * ```ts
 * const resolver = createTxtResolver({ servers: ['127.0.0.1:5353'] });
 * await resolver.resolveTxt('_saml-sp-kit-challenge.example.com');
 * ```
 */
export function createTxtResolver(options: DnsResolverOptions = {}): TxtResolver {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 3000, tries: options.tries ?? 2 });
  if (options.servers?.length) resolver.setServers([...options.servers]);
  return resolver;
}

/** DNS answers that mean "there is no such record" (as opposed to "we could not ask"). */
const NO_RECORD = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN']);

/**
 * Looks the challenge record up and says whether it carries the expected value. A TXT record split into
 * several strings (long values) is joined first, as RFC 7208 does for SPF. Throws DOMAIN_VERIFICATION_FAILED
 * (422) when the record is missing or holds another value, DNS_UNAVAILABLE (503) when the resolver fails.
 */
export async function checkDomainChallenge(resolver: TxtResolver, challenge: DomainChallenge): Promise<void> {
  let records: string[][];
  try {
    records = await resolver.resolveTxt(challenge.name);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && NO_RECORD.has(code)) records = [];
    else {
      throw new AdminError(
        'DNS_UNAVAILABLE',
        `The DNS lookup of ${challenge.name} failed (${String(code ?? error)}).`,
        {
          hint: 'Check that the DNS servers (DNS_SERVERS, else the system resolvers) are reachable, then try again.',
          status: 503,
          cause: error,
        },
      );
    }
  }
  const values = records.map((parts) => parts.join(''));
  if (values.includes(challenge.value)) return;
  const seen = values.filter((v) => v.startsWith(challenge.value.slice(0, challenge.value.indexOf('=') + 1)));
  throw new AdminError(
    'DOMAIN_VERIFICATION_FAILED',
    values.length === 0
      ? `No TXT record was found at ${challenge.name}.`
      : `The TXT records at ${challenge.name} do not include the expected value${seen.length ? ` (found ${seen.map((v) => `"${v}"`).join(', ')})` : ''}.`,
    {
      hint: `Publish a TXT record named ${challenge.name} with the value "${challenge.value}" at your DNS provider, wait for it to propagate (minutes, up to the record's TTL), then verify again.`,
      status: 422,
      details: { record: challenge },
    },
  );
}
