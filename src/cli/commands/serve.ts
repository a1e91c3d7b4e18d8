import { loadConfig } from '../../config.ts';
import { createAppServer } from '../../server.ts';
import { parse } from '../commands.ts';

/**
 * `saml-sp serve`: start the server until SIGINT/SIGTERM, then shut down gracefully: stop accepting, let
 * in-flight requests finish, close the pools, and exit within SHUTDOWN_TIMEOUT_MS whatever happens. A second
 * signal exits at once.
 */
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
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const { logger } = server;
  const started = Date.now();
  const timeoutMs = config.shutdownTimeoutMs;
  const forceExit = (reason: string) => {
    logger.error('server.shutdown_forced', { reason, ms: Date.now() - started });
    process.exit(1);
  };
  // The bound: whatever hangs (a request, a pool, a Redis client), the process is gone by then.
  setTimeout(() => forceExit('timeout'), timeoutMs).unref();
  const again = () => forceExit('second signal');
  process.once('SIGINT', again);
  process.once('SIGTERM', again);
  logger.info('server.shutdown_started', { signal, timeoutMs });
  // Leave a little of the budget for closing the stores after the last request.
  const result = await server.close({ timeoutMs: timeoutMs - Math.min(1_000, Math.floor(timeoutMs / 5)) });
  logger.info('server.shutdown_complete', { ...result, ms: Date.now() - started });
  // Everything is closed; a handle some dependency leaked must not keep the process alive past its work.
  setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref();
  return 0;
}
