/**
 * The SP's keys on disk: read when present, generated on first start when missing (never committed: certs/
 * is git-ignored). Private keys are written with mode 0600.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateKeyPair } from '../core/keys.ts';
import type { KeyPair } from '../core/types.ts';

export interface KeyFilePaths {
  key: string;
  cert: string;
}

/** Loads a key pair, creating both files (and their folder) when neither exists. */
export async function loadOrCreateKeyPair(
  paths: KeyFilePaths,
  commonName: string,
): Promise<{ pair: KeyPair; created: boolean }> {
  const [key, cert] = await Promise.all([readIfExists(paths.key), readIfExists(paths.cert)]);
  if (key !== undefined && cert !== undefined)
    return { pair: { privateKeyPem: key, certificatePem: cert }, created: false };
  if (key !== undefined || cert !== undefined) {
    throw new Error(
      `Only one of ${paths.key} and ${paths.cert} exists. Restore the missing file, or delete both to generate a new pair (IdPs that trust the old certificate must then be updated).`,
    );
  }
  const pair = await generateKeyPair({ commonName });
  await mkdir(path.dirname(paths.key), { recursive: true });
  await mkdir(path.dirname(paths.cert), { recursive: true });
  await writeFile(paths.key, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
  await writeFile(paths.cert, pair.certificatePem, { flag: 'wx' });
  return { pair, created: true };
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
