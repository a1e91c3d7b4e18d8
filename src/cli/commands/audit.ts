/** `saml-sp audit export [--since ISO-TIME]`: the audit log as JSON lines on stdout. */
import { auditQueryOf } from '../../audit/index.ts';
import { openContext, parse, UsageError } from '../commands.ts';

const USAGE = 'Usage: saml-sp audit export [--since ISO-TIME]';

export async function auditCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { since: { type: 'string' } });
  if (positionals[0] !== 'export' || positionals.length > 1) throw new UsageError(USAGE);
  let since: Date | undefined;
  try {
    since = auditQueryOf(values.since ? { since: values.since } : {}).since;
  } catch {
    throw new UsageError(
      `${USAGE}\n(--since takes an ISO 8601 time such as 2026-01-31T00:00:00Z, or a date)`,
    );
  }
  const ctx = await openContext();
  try {
    for await (const line of ctx.audit.exportJsonLines(since ? { since } : {})) {
      if (!process.stdout.write(line)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    }
    return 0;
  } finally {
    await ctx.close();
  }
}
