/**
 * `saml-sp keys`: the SP key ring from the command line, on the same store as the server.
 *
 *   keys list [--connection ID] [--json]
 *   keys generate --use signing|encryption [--connection ID] [--json]
 *   keys add --use signing|encryption --cert PEM-FILE --key-ref REF [--connection ID] [--json]
 *   keys promote ID [--json]
 *   keys retire ID [--json]
 */
import { readFile } from 'node:fs/promises';
import type { SpKeyView } from '../../keys/index.ts';
import { openContext, parse, printJson, UsageError } from '../commands.ts';

const USAGE =
  'Usage: saml-sp keys list [--connection ID] | generate --use signing|encryption [--connection ID] | add --use USE --cert PEM-FILE --key-ref REF [--connection ID] | promote ID | retire ID [--json]';

export async function keysCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    use: { type: 'string' },
    connection: { type: 'string' },
    cert: { type: 'string' },
    'key-ref': { type: 'string' },
    json: { type: 'boolean' },
  });
  const [action, id] = positionals;
  const use = values.use;
  if (use !== undefined && use !== 'signing' && use !== 'encryption') {
    throw new UsageError(`--use must be signing or encryption, got "${use}". ${USAGE}`);
  }
  const needsId = action === 'promote' || action === 'retire';
  if (!action || (needsId && !id) || (!needsId && positionals.length > 1)) throw new UsageError(USAGE);
  if ((action === 'generate' || action === 'add') && !use)
    throw new UsageError(`--use is required. ${USAGE}`);
  if (action === 'add' && (!values.cert || !values['key-ref'])) throw new UsageError(USAGE);

  const ctx = await openContext();
  try {
    const ring = ctx.keyRing;
    let shown: SpKeyView[];
    let lint: Awaited<ReturnType<typeof ring.lint>> = [];
    switch (action) {
      case 'list': {
        // With a connection: the global keys and its own, and its key lint.
        const all = await ring.list();
        const connection = values.connection;
        shown = connection
          ? all.filter((k) => k.connectionId === null || k.connectionId === connection)
          : all;
        if (connection) lint = await ring.lint(connection);
        break;
      }
      case 'generate':
        shown = [await ring.generate({ use: use!, connectionId: values.connection }, ctx.change)];
        break;
      case 'add':
        shown = [
          await ring.add(
            {
              use: use!,
              connectionId: values.connection,
              certificatePem: await readFile(values.cert!, 'utf8'),
              keyRef: values['key-ref']!,
            },
            ctx.change,
          ),
        ];
        break;
      case 'promote':
        shown = [await ring.promote(id!, ctx.change)];
        break;
      case 'retire':
        shown = [await ring.retire(id!, ctx.change)];
        break;
      default:
        throw new UsageError(`Unknown keys action "${action}". ${USAGE}`);
    }
    if (values.json) {
      printJson(action === 'list' ? { keys: shown, lint } : shown[0]);
      return 0;
    }
    for (const k of shown) process.stdout.write(`${line(k)}\n`);
    for (const w of lint)
      process.stdout.write(`${w.severity}: ${w.id}: ${w.message}\n  hint: ${w.hint ?? ''}\n`);
    return 0;
  } finally {
    await ctx.close();
  }
}

function line(k: SpKeyView): string {
  const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '-');
  return [
    k.id,
    k.use,
    k.state,
    k.connectionId ?? 'global',
    `created ${day(k.createdAt)}`,
    `active ${day(k.activatedAt)}`,
    `retired ${day(k.retiredAt)}`,
    `expires ${day(k.notAfter)}`,
    k.fingerprintSha256,
  ].join('\t');
}
