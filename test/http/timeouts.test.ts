/**
 * Issue #11, item 4: the server sets its own limits on slow clients. Over raw sockets: 50 request bodies
 * trickled at 1 byte/s are cut off at HTTP_REQUEST_TIMEOUT_MS, headers trickled at 1 byte/s at
 * HTTP_HEADERS_TIMEOUT_MS, and an idle kept-alive connection is closed at HTTP_KEEP_ALIVE_TIMEOUT_MS. The
 * measured times are printed.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
const KEEP_ALIVE_TIMEOUT_MS = 1_000;
/** The server checks every quarter of the shortest timeout; a loaded CI machine adds some more. */
const SLACK_MS = HEADERS_TIMEOUT_MS / 4 + 1_000;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({
    HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
  });
});
afterAll(async () => {
  await t?.close();
});

interface Cut {
  /** Milliseconds from the first byte sent to the server closing the connection. */
  ms: number;
  /** What the server said before closing. */
  answer: string;
  /** Bytes of the trickle that were sent. */
  sent: number;
}

/** Sends `head` at once (may be empty), then `trickle` one byte per `intervalMs`, until the server hangs up. */
function trickle(head: string, trickled: string, intervalMs = 1_000, limitMs = 20_000): Promise<Cut> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(t.port, '127.0.0.1');
    let answer = '';
    let sent = 0;
    let started = 0;
    let timer: NodeJS.Timeout | undefined;
    const limit = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open past ${limitMs} ms`));
    }, limitMs);
    socket.on('connect', () => {
      started = performance.now();
      if (head) socket.write(head);
      timer = setInterval(() => {
        if (sent < trickled.length && socket.writable) socket.write(trickled[sent++] ?? '');
      }, intervalMs);
    });
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    const done = () => {
      clearInterval(timer);
      clearTimeout(limit);
      resolve({ ms: Math.round(performance.now() - started), answer, sent });
    };
    socket.on('close', done);
    socket.on('error', () => {});
  });
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0] ?? 0, median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted.at(-1) ?? 0 };
};

describe('slow clients are cut off by the server (issue #11)', () => {
  it('50 ACS bodies trickled at 1 byte/s: each cut with 408 at HTTP_REQUEST_TIMEOUT_MS', async () => {
    const body = `SAMLResponse=${'A'.repeat(10_000)}`;
    const head =
      'POST /saml/dev/acs HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
      `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`;
    const cuts = await Promise.all(Array.from({ length: 50 }, () => trickle(head, body)));
    const s = stats(cuts.map((c) => c.ms));
    console.info(
      `50 trickled bodies (HTTP_REQUEST_TIMEOUT_MS=${REQUEST_TIMEOUT_MS}): cut after min ${s.min} ms, median ${s.median} ms, max ${s.max} ms`,
    );
    for (const cut of cuts) {
      expect(cut.answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(cut.sent).toBeLessThan(body.length);
    }
    expect(s.min).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(s.max).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    // The server is still serving everyone else.
    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
  }, 30_000);

  it('headers trickled at 1 byte/s: cut with 408 at HTTP_HEADERS_TIMEOUT_MS', async () => {
    const cut = await trickle(
      'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n',
      'X-Slow: abcdefghijklmnopqrstuvwxyz\r\n\r\n',
    );
    console.info(`trickled headers (HTTP_HEADERS_TIMEOUT_MS=${HEADERS_TIMEOUT_MS}): cut after ${cut.ms} ms`);
    expect(cut.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(cut.ms).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(cut.ms).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it('an idle kept-alive connection: clients are told HTTP_KEEP_ALIVE_TIMEOUT_MS, the server closes 1 s later', async () => {
    const socket = connect(t.port, '127.0.0.1');
    let answer = '';
    let answeredAt = 0;
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('"status":"ok"') && answeredAt === 0) answeredAt = performance.now();
    });
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now())));
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    const idleMs = Math.round((await closed) - answeredAt);
    console.info(
      `idle keep-alive connection (HTTP_KEEP_ALIVE_TIMEOUT_MS=${KEEP_ALIVE_TIMEOUT_MS}): closed after ${idleMs} ms`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    // The hint makes clients stop reusing the connection first; node:http's keepAliveTimeoutBuffer (1 s)
    // keeps the server from closing it under a request that is already on its way.
    expect(answer).toMatch(new RegExp(`Keep-Alive: timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}\\r\\n`, 'i'));
    expect(idleMs).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 50);
    expect(idleMs).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + 1_000 + SLACK_MS);
  });
});

describe('timeout settings (src/config.ts)', () => {
  it('defaults, and refuses what node:http would reject or misread', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
    });
    expect(config.shutdownTimeoutMs).toBe(10_000);
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '40000', HTTP_REQUEST_TIMEOUT_MS: '30000' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS/,
    );
    for (const bad of ['soon', '0', '-5', '1.5', '999999999']) {
      expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: bad })).toThrow(ConfigError);
    }
    expect(loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000' }).http.keepAliveTimeoutMs).toBe(65_000);
  });
});
