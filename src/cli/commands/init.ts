import { loadConfig } from '../../config.ts';
import { loadSpKeys } from '../../server.ts';
import { parse } from '../commands.ts';

/** `saml-sp init`: generate the SP keys when missing; safe to run again. */
export async function initCommand(args: string[]): Promise<number> {
  parse(args, {}, false);
  const config = loadConfig(process.env);
  await loadSpKeys(config);
  process.stdout.write(
    `SP keys ready:\n  ${config.keyFiles.signingCert}\n  ${config.keyFiles.encryptionCert}\n`,
  );
  return 0;
}
