/**
 * Issue #13, metrics: with METRICS=on the server exposes Prometheus text at /metrics for the bearer of
 * METRICS_TOKEN only; the text passes `promtool check metrics` (Debian's prometheus package), and its
 * counters match the sign-ins this test made through the embedded dev IdP: N successes, M refusals by code.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAndInflate } from '../../src/core/xml/encoding.ts';
import { parseForm, TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const METRICS_TOKEN = 'metrics-scrape-token-0123456789';
const SUCCESSES = 3;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ METRICS: 'on', METRICS_TOKEN });
}, 60_000);
afterAll(async () => {
  await t?.close();
});

async function scrape(token = METRICS_TOKEN): Promise<Response> {
  return fetch(`${t.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
}

/** The samples of one metric family: label text (as exposed) -> value. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) out.set(m[2] ?? '', Number(m[3]));
  }
  return out;
}

/** A full SP-initiated sign-in as alice: SP login -> IdP form -> ACS. Returns the ACS answer's status. */
async function signIn(): Promise<number> {
  const b = new TestBrowser();
  const start = await b.get(`${t.baseUrl}/saml/dev/login?returnTo=/after`);
  expect(start.status).toBe(302);
  expect(
    decodeAndInflate(new URL(start.headers.get('location') ?? '').searchParams.get('SAMLRequest') ?? ''),
  ).toContain('AuthnRequest');
  const loginPage = await b.follow(start);
  const answer = await b.submit(parseForm(loginPage), { username: 'alice', password: 'alice-pass' });
  const acs = await b.submit(parseForm(answer));
  return acs.status;
}

/** Posts to an ACS asking for JSON; returns the refusal's code. */
async function refused(connectionId: string, samlResponse: string): Promise<string> {
  const b = new TestBrowser();
  const answer = await b.post(
    `${t.baseUrl}/saml/${connectionId}/acs`,
    { SAMLResponse: samlResponse },
    {
      accept: 'application/json',
    },
  );
  expect(answer.status).toBeGreaterThanOrEqual(400);
  return (JSON.parse(answer.body) as { error: { code: string } }).error.code;
}

describe('/metrics', () => {
  it('is refused without the metrics token', async () => {
    const none = await fetch(`${t.baseUrl}/metrics`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('METRICS_UNAUTHORIZED');
    expect((await scrape('not-the-metrics-token-at-all')).status).toBe(401);
  });

  it('counts the sign-ins this test made, by outcome and code, and passes promtool', async () => {
    for (let i = 0; i < SUCCESSES; i++) expect(await signIn()).toBe(303);
    // Refusals: garbage on a real connection (twice), and a message to a connection that does not exist.
    const garbage = Buffer.from('<not-saml/>').toString('base64');
    const codes = [
      await refused('dev', garbage),
      await refused('dev', garbage),
      await refused('nope', garbage),
    ];
    expect(codes[2]).toBe('SAML_CONNECTION_NOT_FOUND');

    const answer = await scrape();
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await answer.text();

    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(promtool.error, 'promtool must be installed (Debian package prometheus)').toBeUndefined();
    expect(promtool.status, `${promtool.stdout}${promtool.stderr}`).toBe(0);

    const signIns = samples(text, 'saml_sp_sign_ins_total');
    expect(signIns.get('{connection="dev",outcome="success",error_code="none"}')).toBe(SUCCESSES);
    expect(signIns.get(`{connection="dev",outcome="failure",error_code="${codes[0]}"}`)).toBe(2);
    // An unknown connection id is never a label: strangers cannot grow the label set.
    expect(
      signIns.get('{connection="(unknown)",outcome="failure",error_code="SAML_CONNECTION_NOT_FOUND"}'),
    ).toBe(1);
    expect([...signIns.keys()].some((k) => k.includes('nope'))).toBe(false);
    expect([...signIns.values()].reduce((a, b) => a + b, 0)).toBe(SUCCESSES + 3);

    const durations = samples(text, 'saml_sp_acs_duration_count');
    expect(durations.get('{connection="dev",outcome="success"}')).toBe(SUCCESSES);
    expect(durations.get('{connection="dev",outcome="failure"}')).toBe(2);
    const buckets = samples(text, 'saml_sp_acs_duration_bucket');
    expect(buckets.get('{connection="dev",outcome="success",le="+Inf"}')).toBe(SUCCESSES);
  }, 120_000);

  it('is absent unless METRICS=on', async () => {
    const plain = await startTestServer();
    try {
      const answer = await fetch(`${plain.baseUrl}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}`, accept: 'application/json' },
      });
      expect(answer.status).toBe(404);
    } finally {
      await plain.close();
    }
  }, 60_000);
});
