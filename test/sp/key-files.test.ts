import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateKeyPair } from '../../src/sp/key-files.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-key-files-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('loadOrCreateKeyPair', () => {
  it('creates one pair when many callers start at once, and every caller gets that pair', async () => {
    const dir = await tempDir();
    const paths = { key: path.join(dir, 'certs', 'sp.key'), cert: path.join(dir, 'certs', 'sp.crt') };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => loadOrCreateKeyPair(paths, 'race test')),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const keys = new Set(results.map((r) => r.pair.privateKeyPem));
    const certs = new Set(results.map((r) => r.pair.certificatePem));
    expect([keys.size, certs.size]).toEqual([1, 1]);
    expect((await stat(paths.key)).mode & 0o777).toBe(0o600);
    // No temporary file is left behind.
    expect((await readdir(path.dirname(paths.key))).sort()).toEqual(['sp.crt', 'sp.key']);
  }, 60_000);

  it('reads an existing pair without creating one', async () => {
    const dir = await tempDir();
    const paths = { key: path.join(dir, 'sp.key'), cert: path.join(dir, 'sp.crt') };
    const first = await loadOrCreateKeyPair(paths, 'first');
    const again = await loadOrCreateKeyPair(paths, 'second');
    expect(again.created).toBe(false);
    expect(again.pair).toEqual(first.pair);
  }, 60_000);

  it('refuses a lone key file after waiting for a concurrent creator that never comes', async () => {
    const dir = await tempDir();
    const paths = { key: path.join(dir, 'sp.key'), cert: path.join(dir, 'sp.crt') };
    await writeFile(paths.key, 'not used');
    await expect(loadOrCreateKeyPair(paths, 'lone')).rejects.toThrow(/Only one of .* exists/);
  }, 60_000);
});
