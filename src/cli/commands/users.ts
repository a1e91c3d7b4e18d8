import { openContext, parse, printJson, UsageError } from '../commands.ts';

/** `saml-sp users list [--connection ID] [--json]`. */
export async function usersCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { connection: { type: 'string' }, json: { type: 'boolean' } });
  if (positionals[0] !== 'list') throw new UsageError('Usage: saml-sp users list [--connection ID] [--json]');
  const ctx = await openContext();
  try {
    const users = await ctx.sp.stores.users.list(
      values.connection ? { connectionId: values.connection } : {},
    );
    if (values.json) {
      printJson(users);
      return 0;
    }
    if (users.length === 0) {
      process.stdout.write('No users yet: they are created on their first sign-in.\n');
      return 0;
    }
    for (const u of users) {
      process.stdout.write(
        `${u.connectionId}\t${u.nameId}\t${u.email ?? '-'}\t${u.displayName ?? '-'}\t[${u.groups.join(', ')}]\tlast sign-in ${u.lastLoginAt}\n`,
      );
    }
    return 0;
  } finally {
    await ctx.close();
  }
}
