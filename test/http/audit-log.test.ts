/**
 * Issue #13, "the audit log records who changed a connection's mapping, with before and after": over HTTP
 * with a named admin token, read back by the API (JSON and JSON lines), the admin page and the CLI. Also the
 * admin identities around it: ADMIN_TOKEN as "bootstrap", tokens created and revoked by API and CLI, shown
 * once, last-used time, and a revoked token's page session ending with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../helpers/cli.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const BOOTSTRAP = 'audit-bootstrap-token-0123456789';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ ADMIN_TOKEN: BOOTSTRAP });
}, 60_000);
afterAll(async () => {
  await t?.close();
});

async function api(
  method: string,
  route: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; json: unknown; text: string; headers: Headers }> {
  const response = await fetch(`${t.baseUrl}/admin/api${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text, headers: response.headers };
}

/** The saml-sp CLI on the server's own SQLite file, as an operator on that host runs it. */
function cli(...args: string[]) {
  return runCli({ cwd: t.dir, env: cliEnv(t.dir, { database: 'test.db', baseUrl: t.baseUrl }) }, args);
}

interface Entry {
  seq: number;
  at: string;
  actor: { kind: string; name: string };
  action: string;
  target: { type: string; id: string };
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

describe('audit log over HTTP, API, page and CLI', () => {
  let alice: { id: string; name: string; token: string };
  let since: string;
  const newMapping = { email: ['urn:oid:0.9.2342.19200300.100.1.3'], groups: ['memberOf'] };

  it('the bootstrap identity creates a named token, shown once and never listed', async () => {
    since = new Date(Date.now() - 1000).toISOString();
    const created = await api('POST', '/admin-tokens', BOOTSTRAP, { name: 'alice' });
    expect(created.status).toBe(201);
    alice = created.json as typeof alice;
    expect(alice.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(alice).toMatchObject({ name: 'alice', createdBy: 'bootstrap' });

    const again = await api('POST', '/admin-tokens', BOOTSTRAP, { name: 'alice' });
    expect(again.status).toBe(409);
    expect((again.json as { error: { code: string } }).error.code).toBe('ADMIN_TOKEN_NAME_TAKEN');
    const reserved = await api('POST', '/admin-tokens', BOOTSTRAP, { name: 'bootstrap' });
    expect(reserved.status).toBe(409);

    const list = await api('GET', '/admin-tokens', BOOTSTRAP);
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(alice.token);
    expect(list.text).not.toMatch(/tokenHash|token_hash/);
  });

  it('records who changed the mapping of a connection, with before and after (API, JSON and JSON lines)', async () => {
    const current = await api('GET', '/connections/dev', alice.token);
    const before = (current.json as { attributeMapping: unknown }).attributeMapping;
    expect(before).not.toEqual(newMapping);
    const patched = await api('PATCH', '/connections/dev', alice.token, { attributeMapping: newMapping });
    expect(patched.status).toBe(200);

    const read = await api('GET', `/audit?since=${encodeURIComponent(since)}`, alice.token);
    expect(read.status).toBe(200);
    const entries = (read.json as { entries: Entry[] }).entries;
    const change = entries.find((e) => e.action === 'connection.updated');
    expect(change).toMatchObject({
      actor: { kind: 'admin-token', name: 'alice' },
      target: { type: 'connection', id: 'dev' },
    });
    expect(change?.before?.attributeMapping).toEqual(before);
    expect(change?.after?.attributeMapping).toEqual(newMapping);
    // Bulky texts are digests, not copies; no secret reaches the log.
    expect(String(change?.after?.metadataXml)).toMatch(/^\[\d+ chars, sha256 [0-9a-f]{16}…\]$/);
    const created = entries.find((e) => e.action === 'admin_token.created');
    expect(created).toMatchObject({ actor: { name: 'bootstrap' }, after: { name: 'alice' } });
    expect(read.text).not.toContain(alice.token);

    const lines = await api('GET', `/audit?format=jsonl&since=${encodeURIComponent(since)}`, alice.token);
    expect(lines.headers.get('content-type')).toMatch(/^application\/jsonl/);
    const parsed = lines.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Entry);
    expect(parsed).toEqual(entries);

    // Organizations too: the same actor, from the same middleware.
    const org = await api('POST', '/organizations', alice.token, { id: 'globex', name: 'Globex' });
    expect(org.status).toBe(201);
    const orgEntries = (
      (await api('GET', '/audit?targetType=organization&targetId=globex', alice.token)).json as {
        entries: Entry[];
      }
    ).entries;
    expect(orgEntries).toMatchObject([
      {
        action: 'organization.created',
        actor: { kind: 'admin-token', name: 'alice' },
        after: { name: 'Globex' },
      },
    ]);

    const bad = await api('GET', '/audit?since=yesterday', alice.token);
    expect(bad.status).toBe(400);
    expect((bad.json as { error: { code: string } }).error.code).toBe('ADMIN_INVALID_REQUEST');
    // There is no way to change or remove an entry through the API.
    expect((await api('DELETE', '/audit', BOOTSTRAP)).status).toBe(404);
  });

  it('the CLI exports the same entries as JSON lines', async () => {
    const out = await cli('audit', 'export', '--since', since);
    expect(out.code, out.stderr).toBe(0);
    const parsed = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Entry);
    const change = parsed.find((e) => e.action === 'connection.updated');
    expect(change?.actor).toEqual({ kind: 'admin-token', name: 'alice' });
    expect(change?.after?.attributeMapping).toEqual(newMapping);
    expect((await cli('audit', 'export', '--since', 'soon')).code).toBe(2);
    expect((await cli('audit', 'prune')).code).toBe(2);
  }, 120_000);

  it('tracks last use, and a revoked token is refused at once', async () => {
    const list = (await api('GET', '/admin-tokens', BOOTSTRAP)).json as { id: string; lastUsedAt?: string }[];
    expect(list.find((x) => x.id === alice.id)?.lastUsedAt).toBeDefined();
    const revoked = await api('DELETE', `/admin-tokens/${alice.id}`, BOOTSTRAP);
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ name: 'alice', revokedAt: expect.any(String) });
    const refused = await api('GET', '/connections', alice.token);
    expect(refused.status).toBe(401);
    expect((refused.json as { error: { code: string } }).error.code).toBe('ADMIN_UNAUTHORIZED');
    expect((await api('DELETE', `/admin-tokens/${alice.id}`, BOOTSTRAP)).status).toBe(404);
    const entries = ((await api('GET', '/audit', BOOTSTRAP)).json as { entries: Entry[] }).entries;
    expect(entries.find((e) => e.action === 'admin_token.revoked')).toMatchObject({
      actor: { name: 'bootstrap' },
      target: { type: 'admin-token', id: alice.id },
      after: { revokedAt: expect.any(String) },
    });
  });

  it('the CLI creates and revokes tokens that the server accepts, recorded under the OS user', async () => {
    const created = await cli('admin-tokens', 'create', '--name', 'carol', '--json');
    expect(created.code, created.stderr).toBe(0);
    const carol = JSON.parse(created.stdout) as { id: string; token: string; createdBy: string };
    expect(carol.createdBy).toMatch(/^cli:/);
    expect((await api('GET', '/connections', carol.token)).status).toBe(200);
    const listed = await cli('admin-tokens', 'list');
    expect(listed.stdout).toContain('carol');
    expect(listed.stdout).not.toContain(carol.token);
    expect((await cli('admin-tokens', 'revoke', carol.id)).code).toBe(0);
    expect((await api('GET', '/connections', carol.token)).status).toBe(401);
    expect((await cli('admin-tokens', 'create')).code).toBe(2);
    const revokedTwice = await cli('admin-tokens', 'revoke', carol.id);
    expect(revokedTwice.code).toBe(1);
  }, 120_000);

  it('the page accepts a named token, records its actions under that name, and ends with the token', async () => {
    const bob = (await api('POST', '/admin-tokens', BOOTSTRAP, { name: 'bob' })).json as {
      id: string;
      token: string;
    };
    const login = await fetch(`${t.baseUrl}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: bob.token }).toString(),
    });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const home = await (await fetch(`${t.baseUrl}/admin`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(home)?.[1] ?? '';
    expect(csrf).not.toBe('');

    const saved = await fetch(`${t.baseUrl}/admin/connections/dev/mapping`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: t.baseUrl },
      body: new URLSearchParams({ _csrf: csrf, email: 'mail', firstName: 'givenName' }).toString(),
    });
    expect(saved.status).toBe(303);

    const page = await fetch(`${t.baseUrl}/admin/audit`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('admin.signed_in');
    expect(text).toMatch(/bob <span class="muted small">\(admin-session\)<\/span>/);

    const entries = (
      (await api('GET', '/audit?targetType=connection&targetId=dev', BOOTSTRAP)).json as {
        entries: Entry[];
      }
    ).entries;
    const last = entries[entries.length - 1];
    expect(last).toMatchObject({
      action: 'connection.updated',
      actor: { kind: 'admin-session', name: 'bob' },
      before: { attributeMapping: newMapping },
      after: { attributeMapping: { email: ['mail'], firstName: ['givenName'] } },
    });

    const tokensPage = await (await fetch(`${t.baseUrl}/admin/admin-tokens`, { headers: { cookie } })).text();
    expect(tokensPage).toContain('bob');
    expect(tokensPage).not.toContain(bob.token);

    await api('DELETE', `/admin-tokens/${bob.id}`, BOOTSTRAP);
    const after = await fetch(`${t.baseUrl}/admin/audit`, { headers: { cookie }, redirect: 'manual' });
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/admin');
  });
});
