import { loadConfig } from '../../config.ts';
import { createAppServer } from '../../server.ts';
import { parse } from '../commands.ts';

/** `saml-sp serve`: start the server until SIGINT/SIGTERM. */
export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { 'dev-idp': { type: 'boolean' } }, false);
  const config = loadConfig(process.env, { devIdpDefault: values['dev-idp'] === true });
  const server = await createAppServer(config);
  await server.listen();
  const lines = [`saml-sp-kit listening on ${config.baseUrl} (bound to ${config.host}:${config.port})`];
  if (server.devIdp) {
    lines.push(`  embedded IdP: ${config.baseUrl}/idp/metadata   users: alice / alice-pass, bob / bob-pass`);
    lines.push(`  sign in:      ${config.baseUrl}/saml/dev/login`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
