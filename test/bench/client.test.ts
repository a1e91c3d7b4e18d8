/**
 * The benchmarks' lean HTTP client (bench/lib/client.ts) reads what node:http's client reads: the same status,
 * headers and body for every response shape a server may answer with (Content-Length, chunked in several
 * writes, no body, several Set-Cookie headers, Connection: close), and the server sees the same request.
 * The benchmark contenders answer with Content-Length only, so the other shapes are proved here.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchClient } from '../../bench/lib/client.ts';

let server: Server;
let base: string;
const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.write('héllo, ');
        // The body arrives in two reads, the second longer than the first.
        setTimeout(() => res.end(`wörld ✓ ${'ü'.repeat(300)}`), 5);
      } else if (req.url === '/cookies') {
        res.writeHead(303, {
          location: '/home',
          'set-cookie': ['a=1; Path=/', 'b=2; HttpOnly'],
          'content-length': '0',
        });
        res.end();
      } else if (req.url === '/close') {
        res.writeHead(200, { connection: 'close', 'content-length': '3' });
        res.end('bye');
      } else {
        const json = JSON.stringify({ form: body, cookie: req.headers.cookie ?? null });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
        res.end(json);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the lean benchmark client', () => {
  it.each(['/chunked', '/cookies', '/close', '/form?x=1'])('answers %s as node:http does', async (path) => {
    const answers = [];
    for (const kind of ['node', 'lean'] as const) {
      const client = benchClient(2, kind);
      seen.length = 0;
      const form = path.startsWith('/form')
        ? { SAMLResponse: 'PHNhbWw+/+==', RelayState: '/home?a=b&c' }
        : undefined;
      // Twice on the same client: the second request reuses the connection (or opens a new one after a close).
      const responses = [
        await client.request(form ? 'POST' : 'GET', `${base}${path}`, {
          cookie: 'sid=abc',
          form,
          accept: 'application/json',
        }),
        await client.request(form ? 'POST' : 'GET', `${base}${path}`, {
          cookie: 'sid=abc',
          form,
          accept: 'application/json',
        }),
      ];
      client.close();
      answers.push({
        responses: responses.map((r) => ({
          status: r.status,
          body: r.body,
          location: r.headers.location,
          cookies: r.headers['set-cookie'],
          type: r.headers['content-type'],
        })),
        requests: seen.map((s) => ({
          method: s.method,
          url: s.url,
          body: s.body,
          cookie: s.headers.cookie,
          accept: s.headers.accept,
          type: s.headers['content-type'],
          length: s.headers['content-length'],
          host: s.headers.host,
          connection: s.headers.connection,
        })),
      });
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0]!.responses[0]!.status).toBeGreaterThan(0);
    if (path === '/chunked') expect(answers[1]!.responses[0]!.body).toBe(`héllo, wörld ✓ ${'ü'.repeat(300)}`);
  });
});
