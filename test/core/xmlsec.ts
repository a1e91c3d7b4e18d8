/**
 * Verifies an XML signature with Debian's xmlsec1, an implementation independent of xml-crypto.
 * xmlsec1 prints chain-validation noise for self-signed KeyInfo certificates, then verifies with the key
 * given by --pubkey-cert-pem; the exit status is what counts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const XMLSEC1 = '/usr/bin/xmlsec1';

export async function xmlsecVerify(
  xml: string,
  certificatePem: string,
  idAttr: string,
  /** More xmlsec1 options, e.g. `['--enabled-key-data', 'rsa']` to ignore the certificates in KeyInfo. */
  extraArgs: readonly string[] = [],
): Promise<{ ok: boolean; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'xmlsec-'));
  try {
    const file = join(dir, 'signed.xml');
    const cert = join(dir, 'cert.pem');
    await writeFile(file, xml);
    await writeFile(cert, certificatePem);
    const args = [
      '--verify',
      '--enabled-reference-uris',
      'same-doc',
      '--id-attr:ID',
      idAttr,
      ...extraArgs,
      '--pubkey-cert-pem',
      cert,
      file,
    ];
    return await new Promise((resolve) => {
      execFile(XMLSEC1, args, { timeout: 20_000 }, (error, stdout, stderr) => {
        resolve({ ok: error === null, output: `${stdout}${stderr}` });
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
