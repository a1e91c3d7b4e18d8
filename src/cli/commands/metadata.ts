import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SamlSpError } from '../../core/errors.ts';
import { openContext, parse } from '../commands.ts';

/** `saml-sp metadata [--connection ID] [--out FILE]`: the signed SP metadata of one connection. */
export async function metadataCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { connection: { type: 'string' }, out: { type: 'string' } }, false);
  const ctx = await openContext();
  try {
    const id = values.connection ?? (await onlyConnectionId(ctx.sp.stores.connections.list()));
    const xml = await ctx.sp.metadata(id);
    if (values.out) {
      await mkdir(path.dirname(path.resolve(values.out)), { recursive: true });
      await writeFile(values.out, xml);
      process.stderr.write(`Wrote SP metadata for connection "${id}" to ${values.out}\n`);
    } else {
      process.stdout.write(xml.endsWith('\n') ? xml : `${xml}\n`);
    }
    return 0;
  } finally {
    await ctx.close();
  }
}

async function onlyConnectionId(list: Promise<{ id: string }[]>): Promise<string> {
  const connections = await list;
  if (connections.length === 1 && connections[0]) return connections[0].id;
  throw new SamlSpError(
    'SAML_CONNECTION_NOT_FOUND',
    connections.length === 0 ? 'There are no connections yet.' : 'Several connections exist; say which one.',
    {
      hint:
        connections.length === 0
          ? 'SP metadata URLs are per connection: add one first (saml-sp connections add), or run `npm start` once to create `dev`.'
          : `Pass --connection with one of: ${connections.map((c) => c.id).join(', ')}.`,
    },
  );
}
