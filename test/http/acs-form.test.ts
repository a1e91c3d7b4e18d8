/**
 * The ACS's own form reader (src/http/acs-form.ts) against body-parser's `urlencoded({ extended: false })`,
 * which it replaces for the plain IdP form and hands everything else to. Both sit in one Express app on a
 * real socket; every body of the corpus goes to both, and the parsed body, or the error's status and type,
 * must be the same. Also: `setTokenCookie` writes the header text `res.cookie` writes, and `sendJsonNoStore`
 * the body and type `res.json` writes.
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acsForm } from '../../src/http/acs-form.ts';
import { requestBindingCookieOptions, sessionCookieOptions, setTokenCookie } from '../../src/http/cookies.ts';
import { sendJsonNoStore } from '../../src/http/json-response.ts';

const LIMIT = 2048;
let base = '';
let close: () => Promise<void>;

beforeAll(async () => {
  const app = express();
  const answer = (err: unknown, req: express.Request, res: express.Response) => {
    if (err) {
      const e = err as { status?: number; type?: string };
      res.json({ error: { status: e.status, type: e.type } });
      return;
    }
    res.json({ body: req.body ?? null });
  };
  const lean = acsForm({ limit: LIMIT, parameterLimit: 10 });
  const general = express.urlencoded({ extended: false, limit: LIMIT, parameterLimit: 10 });
  app.post('/lean', (req, res) => lean(req, res, (err?: unknown) => answer(err, req, res)));
  app.post('/general', (req, res) => general(req, res, (err?: unknown) => answer(err, req, res)));
  app.get('/cookies', (req, res) => {
    const fixed = Date.UTC(2026, 11, 3, 1, 2, 3, 456);
    const realNow = Date.now;
    Date.now = () => fixed;
    try {
      const secure = req.query.secure === '1';
      const token = 'AbC-_09xyz';
      res.cookie('a', token, sessionCookieOptions(secure, 28_799_500));
      setTokenCookie(res, 'a', token, sessionCookieOptions(secure, 28_799_500));
      res.cookie('b', token, requestBindingCookieOptions(secure));
      setTokenCookie(res, 'b', token, requestBindingCookieOptions(secure));
      res.cookie('c', token, sessionCookieOptions(secure));
      setTokenCookie(res, 'c', token, sessionCookieOptions(secure));
    } finally {
      Date.now = realNow;
    }
    res.end();
  });
  app.get('/json/:how', (req, res) => {
    const value = { id: 'u1', name: 'Zoë \u2028 "quoted" </script>', groups: ['a', 'b'], n: null };
    if (req.params.how === 'express') res.status(401).json(value);
    else sendJsonNoStore(res, 401, value);
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(() => close());

interface Sent {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw POST (node:http, so Content-Length, Transfer-Encoding and Content-Encoding are exactly as given). */
function post(
  path: string,
  body: Buffer | string,
  headers: Record<string, string>,
  chunked = false,
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const req = request(
      `${base}${path}`,
      { method: 'POST', headers: chunked ? headers : { ...headers, 'content-length': String(bytes.length) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    if (chunked) {
      req.write(bytes.subarray(0, 3));
      req.end(bytes.subarray(3));
    } else req.end(bytes);
  });
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const b64 = Buffer.from('<samlp:Response ID="_1"/>'.repeat(20)).toString('base64');

const CORPUS: Array<[string, Buffer | string, Record<string, string>, boolean?]> = [
  ['the IdP form', `SAMLResponse=${encodeURIComponent(b64)}&RelayState=%2Fhome`, FORM],
  ['base64 with raw + and /', `SAMLResponse=${b64}&RelayState=/a+b`, FORM],
  ['no RelayState', `SAMLResponse=${encodeURIComponent(b64)}`, FORM],
  ['repeated field', 'SAMLResponse=a&SAMLResponse=b&SAMLResponse=c', FORM],
  ['ten fields', Array.from({ length: 10 }, (_, i) => `f${i}=${i}`).join('&'), FORM],
  ['eleven fields', Array.from({ length: 11 }, (_, i) => `f${i}=${i}`).join('&'), FORM],
  ['brackets and encoded brackets', 'a[b]=1&c%5Bd%5D=2&RelayState=x%5D=y&e[]=3', FORM],
  ['prototype keys', '__proto__=1&constructor=2&hasOwnProperty=3&toString=4', FORM],
  ['broken percent escapes', 'SAMLResponse=%ZZ%&RelayState=%E0%A4%A', FORM],
  ['unicode, encoded and raw', `RelayState=${encodeURIComponent('/ü/日本')}&x=ü日`, FORM],
  ['byte order mark', '\uFEFFSAMLResponse=abc', FORM],
  ['no equals, empty parts', 'SAMLResponse&&=x&RelayState=&&', FORM],
  ['empty body', '', FORM],
  [
    'charset utf-8, mixed case type',
    'SAMLResponse=x',
    { 'content-type': 'Application/X-WWW-Form-URLEncoded; Charset=UTF-8' },
  ],
  [
    'charset iso-8859-1',
    Buffer.from('RelayState=caf\xe9', 'latin1'),
    { 'content-type': 'application/x-www-form-urlencoded; charset=iso-8859-1' },
  ],
  [
    'charset koi8-r (415)',
    'SAMLResponse=x',
    { 'content-type': 'application/x-www-form-urlencoded; charset=koi8-r' },
  ],
  ['gzip body', gzipSync('SAMLResponse=zipped&RelayState=%2F'), { ...FORM, 'content-encoding': 'gzip' }],
  ['unknown content encoding (415)', 'SAMLResponse=x', { ...FORM, 'content-encoding': 'x-magic' }],
  ['chunked body', 'SAMLResponse=chunked&RelayState=%2F', { ...FORM, 'transfer-encoding': 'chunked' }, true],
  ['over the limit (413)', `SAMLResponse=${'A'.repeat(LIMIT + 1)}`, FORM],
  ['exactly the limit', `SAMLResponse=${'A'.repeat(LIMIT - 'SAMLResponse='.length)}`, FORM],
  ['not a form (skipped)', '{"SAMLResponse":"x"}', { 'content-type': 'application/json' }],
  ['no content type (skipped)', 'SAMLResponse=x', {}],
];

describe('ACS form reader = body-parser urlencoded', () => {
  for (const [name, body, headers, chunked] of CORPUS) {
    it(name, async () => {
      const [lean, general] = await Promise.all([
        post('/lean', body, headers, chunked),
        post('/general', body, headers, chunked),
      ]);
      expect(lean.status).toBe(200);
      expect(JSON.parse(lean.body)).toEqual(JSON.parse(general.body));
    });
  }

  it('the corpus exercises both answers: parsed bodies and each refusal type', async () => {
    const answers = await Promise.all(CORPUS.map(([, body, headers, c]) => post('/lean', body, headers, c)));
    const types = answers.map((a) => JSON.parse(a.body).error?.type).filter(Boolean);
    expect(new Set(types)).toEqual(
      new Set(['parameters.too.many', 'charset.unsupported', 'encoding.unsupported', 'entity.too.large']),
    );
  });
});

describe('response helpers write what Express writes', () => {
  it('setTokenCookie = res.cookie, over http and https attributes', async () => {
    for (const secure of ['0', '1']) {
      const res = await fetch(`${base}/cookies?secure=${secure}`);
      const cookies = res.headers.getSetCookie();
      expect(cookies).toHaveLength(6);
      for (let i = 0; i < 6; i += 2) expect(cookies[i + 1]).toBe(cookies[i]);
      expect(cookies[0]).toContain('Max-Age=28799');
      if (secure === '1') expect(cookies[2]).toContain('; Secure; SameSite=None');
    }
  });

  it('setTokenCookie refuses a value that is not a token', () => {
    const res = { appendHeader: () => undefined } as unknown as express.Response;
    expect(() => setTokenCookie(res, 'a', 'x; Domain=evil.example', {})).toThrow(TypeError);
  });

  it('sendJsonNoStore = res.json without the ETag', async () => {
    const [ours, theirs] = await Promise.all([fetch(`${base}/json/ours`), fetch(`${base}/json/express`)]);
    expect(ours.status).toBe(theirs.status);
    expect(ours.headers.get('content-type')).toBe(theirs.headers.get('content-type'));
    expect(ours.headers.get('content-length')).toBe(theirs.headers.get('content-length'));
    expect(await ours.text()).toBe(await theirs.text());
    expect(theirs.headers.get('etag')).toBeTruthy();
    expect(ours.headers.get('etag')).toBeNull();
  });
});
