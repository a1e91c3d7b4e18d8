/**
 * The `saml-sp` command. Each subcommand lives in its own file; this one only dispatches and turns errors into
 * exit codes (0 success, 1 a check failed or the input was rejected, 2 bad usage).
 */
import { ConfigError } from '../config.ts';
import { isSamlSpError } from '../core/errors.ts';
import { isAdminError } from '../sp/admin-errors.ts';
import { COMMANDS, UsageError, usage } from './commands.ts';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`Unknown command "${name}".`);
  return command(rest);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError || err instanceof ConfigError) {
    process.stderr.write(`saml-sp: ${err.message}\n\n${usage()}`);
    process.exitCode = 2;
  } else if (isAdminError(err)) {
    // An invalid value is bad usage; a conflict (the id exists) is a rejected input.
    process.stderr.write(`saml-sp: ${err.code}: ${err.message}\n  hint: ${err.hint}\n`);
    process.exitCode = err.code === 'ADMIN_INVALID_REQUEST' ? 2 : 1;
  } else if (isSamlSpError(err)) {
    process.stderr.write(`saml-sp: ${err.code}: ${err.message}\n  hint: ${err.hint}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`saml-sp: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  }
}
