/**
 * Starts the remote key service (remote-key-server.ts) as a child process and gives the SP a KeyResolver
 * for it: the Signer and Decrypter call it over loopback HTTP, as a KMS client would call its service.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { SamlSpError } from '../../src/core/errors.ts';
import type { KeyResolver } from '../../src/keys/key-refs.ts';

export interface RemoteKeyService {
  pid: number;
  baseUrl: string;
  certificates: { signing: string; encryption: string };
  /** Resolves `http://127.0.0.1:PORT/keys/NAME` references. */
  resolver: KeyResolver;
  stats(): Promise<Record<'signing' | 'encryption', { sign: number; unwrap: number }>>;
  /** Stops the child by its PID and waits for it to exit. */
  stop(): Promise<void>;
}

const SERVER = new URL('./remote-key-server.ts', import.meta.url).pathname;

export async function startRemoteKeyService(): Promise<RemoteKeyService> {
  const token = randomBytes(24).toString('hex');
  const child: ChildProcess = spawn(process.execPath, [SERVER], {
    env: { ...process.env, REMOTE_KEY_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`remote key service exited with ${code}`)));
  });
  const { port, certificates } = JSON.parse(first) as {
    port: number;
    certificates: { signing: string; encryption: string };
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  async function call(url: string, body: unknown): Promise<Record<string, string>> {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
    } catch (cause) {
      // What a KMS client should do when its service is down: an outage code, not a rejected message.
      throw new SamlSpError('SAML_KEY_UNAVAILABLE', `The key service at ${baseUrl} did not answer.`, {
        hint: 'Start the key service (or check the KMS endpoint and credentials) and retry.',
        status: 503,
        cause,
      });
    }
    const answer = (await res.json()) as Record<string, string>;
    if (!res.ok) throw new Error(`key service: ${answer.error ?? res.status}`);
    return answer;
  }

  const resolver: KeyResolver = (ref) => {
    if (!ref.startsWith(`${baseUrl}/keys/`)) throw new Error(`not a reference of this key service: ${ref}`);
    return {
      signer: {
        async sign(data, algorithm) {
          const { signature } = await call(`${ref}/sign`, {
            data: Buffer.from(data).toString('base64'),
            algorithm,
          });
          return Buffer.from(signature!, 'base64');
        },
      },
      decrypter: {
        async unwrapKey(wrapped) {
          const { key } = await call(`${ref}/unwrap`, { wrapped });
          return Buffer.from(key!, 'base64');
        },
      },
    };
  };

  return {
    pid: child.pid!,
    baseUrl,
    certificates,
    resolver,
    async stats() {
      const res = await fetch(`${baseUrl}/stats`, { headers });
      return (await res.json()) as Record<'signing' | 'encryption', { sign: number; unwrap: number }>;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM');
      await exited;
    },
  };
}
