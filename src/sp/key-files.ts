/**
 * The SP's keys on disk: read when present, generated on first start when missing (never committed: certs/
 * is git-ignored). Private keys are written with mode 0600.
 *
 * Several processes may start at once on a fresh checkout (a CLI run while the server starts, a test that
 * spawns eight CLIs): exactly one of them creates the pair and the others read it. Each file is written in
 * full under a temporary name and then linked into place, so no reader ever sees a half-written PEM, and
 * `link` fails when the name exists, which makes creating the key file the one atomic "I won" step.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateKeyPair } from '../core/keys.ts';
import type { KeyPair } from '../core/types.ts';

export interface KeyFilePaths {
  key: string;
  cert: string;
}

/** How long a process waits for a concurrent creator to finish the pair before calling it broken. */
const PAIR_WAIT_MS = 5_000;
const PAIR_POLL_MS = 50;

/** Loads a key pair, creating both files (and their folder) when neither exists. */
export async function loadOrCreateKeyPair(
  paths: KeyFilePaths,
  commonName: string,
): Promise<{ pair: KeyPair; created: boolean }> {
  const existing = await readPair(paths);
  if (existing.key !== undefined || existing.cert !== undefined) {
    return { pair: await completePair(paths, existing), created: false };
  }
  const pair = await generateKeyPair({ commonName });
  await mkdir(path.dirname(paths.key), { recursive: true });
  await mkdir(path.dirname(paths.cert), { recursive: true });
  // The certificate goes in place before the key: a process that then sees the key sees a complete pair.
  const certPlaced = await placeExclusively(paths.cert, pair.certificatePem, 0o644);
  const keyPlaced = certPlaced && (await placeExclusively(paths.key, pair.privateKeyPem, 0o600));
  if (keyPlaced) return { pair, created: true };
  if (certPlaced) await unlink(paths.cert).catch(() => undefined);
  // Another process won the race: use its pair.
  return { pair: await completePair(paths, await readPair(paths)), created: false };
}

interface PartialPair {
  key: string | undefined;
  cert: string | undefined;
}

async function readPair(paths: KeyFilePaths): Promise<PartialPair> {
  const [key, cert] = await Promise.all([readIfExists(paths.key), readIfExists(paths.cert)]);
  return { key, cert };
}

/** The pair once both files exist; a lone file that stays alone is a broken installation. */
async function completePair(paths: KeyFilePaths, found: PartialPair): Promise<KeyPair> {
  let current = found;
  const deadline = Date.now() + PAIR_WAIT_MS;
  while (current.key === undefined || current.cert === undefined) {
    if (Date.now() > deadline) {
      throw new Error(
        `Only one of ${paths.key} and ${paths.cert} exists. Restore the missing file, or delete both to generate a new pair (IdPs that trust the old certificate must then be updated).`,
      );
    }
    await sleep(PAIR_POLL_MS);
    current = await readPair(paths);
  }
  return { privateKeyPem: current.key, certificatePem: current.cert };
}

/** Writes `content` to `file` only if `file` does not exist yet; false when it does. */
async function placeExclusively(file: string, content: string, mode: number): Promise<boolean> {
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, content, { mode, flag: 'wx' });
  try {
    await link(temporary, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
