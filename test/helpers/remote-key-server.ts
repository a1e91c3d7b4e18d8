/**
 * A signing and unwrapping service in its own process, for the tests of keys outside the SP process (what a
 * KMS or Vault's transit engine is to a deployment). Run as `node test/helpers/remote-key-server.ts`:
 * it generates its own key pairs (`signing`, `encryption`) in its own memory, listens on 127.0.0.1:0 and prints
 * one JSON line `{ port, certificates: { signing, encryption } }`. Only certificates ever leave it.
 *
 *   POST /keys/:name/sign    { data (base64), algorithm }   -> { signature (base64) }
 *   POST /keys/:name/unwrap  { wrapped: WrappedKey }        -> { key (base64) }
 *   GET  /stats                                             -> { sign, unwrap } counts per key
 *
 * Every call needs `Authorization: Bearer $REMOTE_KEY_TOKEN`.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { unwrapWithKey, type WrappedKey } from '../../src/core/crypto/signer.ts';
import { generateKeyPair } from '../../src/core/keys.ts';

const token = process.env.REMOTE_KEY_TOKEN ?? '';
if (token.length < 16) throw new Error('REMOTE_KEY_TOKEN must be set');

const names = ['signing', 'encryption'] as const;
const keys = Object.fromEntries(
  await Promise.all(
    names.map(async (name) => {
      const pair = await generateKeyPair({ commonName: `remote ${name} key` });
      return [
        name,
        { key: createPrivateKey(pair.privateKeyPem), certificatePem: pair.certificatePem },
      ] as const;
    }),
  ),
);
const stats = Object.fromEntries(names.map((n) => [n, { sign: 0, unwrap: 0 }]));

async function json(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
}

const server = createServer(async (req, res) => {
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  try {
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: 'unauthorized' });
    if (req.method === 'GET' && req.url === '/stats') return send(200, stats);
    const match = /^\/keys\/(signing|encryption)\/(sign|unwrap)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) return send(404, { error: 'not found' });
    const name = match[1] as (typeof names)[number];
    const body = await json(req);
    if (match[2] === 'sign') {
      const hash =
        body.algorithm === 'rsa-sha512' ? 'sha512' : body.algorithm === 'rsa-sha256' ? 'sha256' : '';
      if (!hash) return send(400, { error: 'unknown algorithm' });
      stats[name]!.sign += 1;
      const signature = sign(hash, Buffer.from(String(body.data), 'base64'), keys[name]!.key);
      return send(200, { signature: signature.toString('base64') });
    }
    stats[name]!.unwrap += 1;
    const key = unwrapWithKey(body.wrapped as WrappedKey, keys[name]!.key);
    return send(200, { key: key.toString('base64') });
  } catch (error) {
    // An unwrap that fails (wrong key) is the caller's answer, not a crash.
    return send(422, { error: error instanceof Error ? error.message : String(error) });
  }
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const certificates = Object.fromEntries(names.map((n) => [n, keys[n]!.certificatePem]));
  process.stdout.write(`${JSON.stringify({ port, certificates })}\n`);
});
