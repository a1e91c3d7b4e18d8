/**
 * Issue #14: the SCIM protocol over HTTP (RFC 7644) beyond the vendors' sequences: discovery, filters from the
 * RFC's examples, paging, attributes/excludedAttributes, ETags and preconditions, and every refusal (malformed
 * JSON, unknown attributes, huge filters and bodies, wrong tokens) as a SCIM error document, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, resources, type ScimClient, startScimOn } from './helpers.ts';

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`SCIM protocol (${backend.name})`, () => {
    let c: ScimClient;
    beforeAll(async () => {
      c = await startScimOn(backend.name);
      // Users in the shape of RFC 7644's filter examples.
      const people = [
        {
          userName: 'bjensen',
          name: { familyName: 'Jensen', givenName: 'Barbara' },
          title: 'Tour Guide',
          userType: 'Employee',
          emails: [{ value: 'bjensen@example.com', type: 'work' }],
        },
        {
          userName: 'jsmith',
          name: { familyName: 'Smith', givenName: 'John' },
          userType: 'Employee',
          emails: [{ value: 'jsmith@example.org', type: 'home' }],
        },
        {
          userName: 'mwilson',
          name: { familyName: 'Wilson', givenName: 'Mary' },
          title: 'Manager',
          userType: 'Intern',
          emails: [{ value: 'mwilson@example.com', type: 'work' }],
        },
      ];
      for (const p of people) expect((await c.call('POST', '/Users', { body: p })).status).toBe(201);
    }, 120_000);
    afterAll(async () => {
      await c?.close();
    });

    const userNames = (json: Record<string, unknown>) => resources(json).map((u) => u.userName);
    const filter = (f: string) => c.call('GET', `/Users?filter=${encodeURIComponent(f)}`);

    describe('discovery', () => {
      it('ServiceProviderConfig declares what is supported: patch, filter (maxResults), etag; no bulk, sort, changePassword', async () => {
        const spc = await c.call('GET', '/ServiceProviderConfig');
        expect(spc.status).toBe(200);
        expect(spc.json).toMatchObject({
          patch: { supported: true },
          bulk: { supported: false },
          filter: { supported: true, maxResults: 1000 },
          changePassword: { supported: false },
          sort: { supported: false },
          etag: { supported: true },
          authenticationSchemes: [{ type: 'oauthbearertoken' }],
        });
      });

      it('ResourceTypes and Schemas describe User (with the enterprise extension) and Group', async () => {
        const types = await c.call('GET', '/ResourceTypes');
        expect(resources(types.json).map((t) => t.id)).toEqual(['User', 'Group']);
        const schemas = await c.call('GET', '/Schemas');
        expect(resources(schemas.json).map((s) => s.id)).toEqual([
          'urn:ietf:params:scim:schemas:core:2.0:User',
          'urn:ietf:params:scim:schemas:core:2.0:Group',
          'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
        ]);
        const user = await c.call('GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User');
        const userName = (user.json.attributes as { name: string }[]).find((a) => a.name === 'userName');
        expect(userName).toMatchObject({ required: true, uniqueness: 'server', caseExact: false });
        expect((await c.call('GET', '/Schemas/urn:nope')).status).toBe(404);
      });
    });

    describe('filters (RFC 7644 §3.4.2.2 examples)', () => {
      it.each([
        ['userName eq "bjensen"', ['bjensen']],
        ['name.familyName co "O"', ['mwilson']], // Wilson: case-insensitive
        ['name.familyName co "s"', ['bjensen', 'jsmith', 'mwilson']],
        ['userName sw "J"', ['jsmith']],
        ['urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"', ['jsmith']],
        ['title pr', ['bjensen', 'mwilson']],
        ['title pr and userType eq "Employee"', ['bjensen']],
        ['title pr or userType eq "Intern"', ['bjensen', 'mwilson']],
        [
          'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
          ['bjensen', 'jsmith'],
        ],
        ['userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")', []],
        ['userType eq "Employee" and emails[type eq "work" and value co "@example.com"]', ['bjensen']],
        [
          'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
          ['bjensen', 'mwilson'],
        ],
        ['meta.lastModified gt "2011-05-13T04:42:34Z"', ['bjensen', 'jsmith', 'mwilson']],
        ['meta.lastModified lt "2011-05-13T04:42:34Z"', []],
        ['userName EQ "MWILSON"', ['mwilson']],
      ])('%s', async (f, expected) => {
        const answer = await filter(f);
        expect(answer.status).toBe(200);
        expect(userNames(answer.json)).toEqual(expected);
      });

      it('refuses malformed and oversized filters with 400 invalidFilter', async () => {
        for (const f of [
          'userName eq',
          'userName xx "a"',
          '(userName eq "a"',
          'userName eq "a" extra',
          'active gt true',
        ]) {
          const answer = await filter(f);
          expect(answer.status, f).toBe(400);
          expect(answer.json).toMatchObject({ status: '400', scimType: 'invalidFilter' });
        }
        const huge = await filter(Array.from({ length: 400 }, (_, i) => `userName eq "u${i}"`).join(' or '));
        expect(huge.status).toBe(400);
        expect(huge.json.scimType).toBe('invalidFilter');
      });
    });

    describe('paging and attributes', () => {
      it('startIndex and count cut pages in creation order; totalResults counts all', async () => {
        const page = await c.call('GET', '/Users?startIndex=2&count=1');
        expect(page.json).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
        expect(userNames(page.json)).toEqual(['jsmith']);
        const past = await c.call('GET', '/Users?startIndex=10&count=5');
        expect(past.json).toMatchObject({ totalResults: 3, itemsPerPage: 0 });
        const filtered = await c.call(
          'GET',
          `/Users?filter=${encodeURIComponent('userType eq "Employee"')}&startIndex=2&count=5`,
        );
        expect(filtered.json).toMatchObject({ totalResults: 2, startIndex: 2 });
        expect(userNames(filtered.json)).toEqual(['jsmith']);
        expect((await c.call('GET', '/Users?count=abc')).status).toBe(400);
        expect((await c.call('GET', '/Users?sortBy=userName')).json.scimType).toBe('invalidValue');
      });

      it('attributes keeps only the named ones (and id, schemas); excludedAttributes drops them', async () => {
        const only = await c.call(
          'GET',
          `/Users?attributes=userName,name.givenName&filter=${encodeURIComponent('userName eq "bjensen"')}`,
        );
        const [user] = resources(only.json);
        expect(Object.keys(user as object).sort()).toEqual(['id', 'name', 'schemas', 'userName']);
        expect(user?.name).toEqual({ givenName: 'Barbara' });
        const without = await c.call('GET', `/Users/${user?.id}?excludedAttributes=emails,meta`);
        expect(without.json).not.toHaveProperty('emails');
        expect(without.json).not.toHaveProperty('meta');
        expect(without.json.userName).toBe('bjensen');
      });
    });

    describe('ETags and preconditions', () => {
      it('If-None-Match answers 304; If-Match with an old version answers 412 and changes nothing', async () => {
        const [user] = resources((await filter('userName eq "jsmith"')).json);
        const id = user?.id as string;
        const got = await c.call('GET', `/Users/${id}`);
        const tag = got.headers.get('etag') as string;
        expect(tag).toMatch(/^W\/"\d+"$/);
        expect((await c.call('GET', `/Users/${id}`, { headers: { 'if-none-match': tag } })).status).toBe(304);
        const ok = await c.call('PUT', `/Users/${id}`, {
          body: { userName: 'jsmith', title: 'Cook' },
          headers: { 'if-match': tag },
        });
        expect(ok.status).toBe(200);
        const stale = await c.call('PUT', `/Users/${id}`, {
          body: { userName: 'jsmith', title: 'Chef' },
          headers: { 'if-match': tag },
        });
        expect(stale.status).toBe(412);
        expect((await c.call('GET', `/Users/${id}`)).json.title).toBe('Cook');
        const staleDelete = await c.call('DELETE', `/Users/${id}`, { headers: { 'if-match': tag } });
        expect(staleDelete.status).toBe(412);
      });
    });

    describe('refusals are SCIM errors, never a 500', () => {
      it('malformed JSON, a non-object, unknown attributes, wrong types: 400 invalidSyntax/invalidValue', async () => {
        const cases: [unknown, string][] = [
          ['{"userName": ', 'invalidSyntax'],
          ['[]', 'invalidSyntax'],
          [{ userName: 'x', favouriteColour: 'blue' }, 'invalidSyntax'],
          [{ userName: 'x', name: { nickname: 'y' } }, 'invalidSyntax'],
          [{ userName: 'x', 'urn:example:unknown:2.0:User': { a: 1 } }, 'invalidSyntax'],
          [{ userName: 7 }, 'invalidValue'],
          [{ userName: 'x', emails: { value: 'a@b' } }, 'invalidValue'],
          [{ displayName: 'no userName' }, 'invalidValue'],
        ];
        for (const [body, scimType] of cases) {
          const answer = await c.call('POST', '/Users', { body });
          expect(answer.status, JSON.stringify(body)).toBe(400);
          expect(answer.json).toMatchObject({
            schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
            status: '400',
            scimType,
          });
          expect(String(answer.json.detail).length).toBeGreaterThan(10);
        }
      });

      it('malformed PATCH bodies and paths', async () => {
        const [user] = resources((await filter('userName eq "mwilson"')).json);
        const id = user?.id as string;
        const patch = (body: unknown) => c.call('PATCH', `/Users/${id}`, { body });
        expect(
          (await patch({ Operations: [{ op: 'replace', path: 'title', value: 'x' }] })).json.scimType,
        ).toBe('invalidSyntax');
        const schemas = ['urn:ietf:params:scim:api:messages:2.0:PatchOp'];
        expect((await patch({ schemas, Operations: [] })).json.scimType).toBe('invalidSyntax');
        expect((await patch({ schemas, Operations: [{ op: 'move', path: 'title' }] })).json.scimType).toBe(
          'invalidSyntax',
        );
        expect((await patch({ schemas, Operations: [{ op: 'remove' }] })).json.scimType).toBe('noTarget');
        expect(
          (await patch({ schemas, Operations: [{ op: 'replace', path: 'shoeSize', value: 9 }] })).status,
        ).toBe(400);
        expect(
          (await patch({ schemas, Operations: [{ op: 'replace', path: 'emails[type eq', value: 'x' }] }))
            .status,
        ).toBe(400);
        expect((await c.call('GET', `/Users/${id}`)).json.title).toBe('Manager');
      });

      it('a body over 1 MiB is 413; an unknown resource 404; an unknown endpoint 404', async () => {
        const big = await c.call('POST', '/Users', {
          body: { userName: 'big', displayName: 'x'.repeat(1_100_000) },
        });
        expect(big.status).toBe(413);
        expect(big.json.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
        expect((await c.call('GET', '/Users/00000000-0000-4000-8000-000000000000')).status).toBe(404);
        expect((await c.call('GET', '/Bulk')).status).toBe(404);
      });

      it('member ids from nowhere are refused; a group name is unique case-insensitively', async () => {
        const bad = await c.call('POST', '/Groups', {
          body: { displayName: 'g', members: [{ value: 'not-a-user' }] },
        });
        expect(bad.status).toBe(400);
        expect(bad.json.scimType).toBe('invalidValue');
        expect((await c.call('POST', '/Groups', { body: { displayName: 'Admins' } })).status).toBe(201);
        const dup = await c.call('POST', '/Groups', { body: { displayName: 'ADMINS' } });
        expect(dup.status).toBe(409);
        expect(dup.json.scimType).toBe('uniqueness');
      });
    });

    describe('tokens', () => {
      it("no token, a wrong token, a revoked token, another organization's token: 401", async () => {
        const answer = await fetch(`${c.base()}/Users`);
        expect(answer.status).toBe(401);
        expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect((await answer.json()).schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
        const token = await c.token();
        const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
        expect((await c.call('GET', '/Users', { token: tampered })).status).toBe(401);

        await c.addOrganization('globex');
        const globexToken = await c.token('globex');
        expect((await c.call('GET', '/Users', { organizationId: 'globex' })).status).toBe(200);
        // Organization A's token opens nothing of organization B, and B sees none of A's users.
        expect((await c.call('GET', '/Users', { token: globexToken })).status).toBe(401);
        expect((await c.call('GET', '/Users', { organizationId: 'globex', token })).status).toBe(401);
        expect((await c.call('GET', '/Users', { organizationId: 'globex' })).json.totalResults).toBe(0);
        expect((await c.call('GET', '/Users', { organizationId: 'nowhere', token })).status).toBe(401);
      });

      it('the admin API lists tokens without secrets, records last use, and revokes', async () => {
        const created = await c.admin('POST', '/organizations/dev/scim-tokens', { name: 'Okta' });
        expect(created.status).toBe(201);
        const { id, token } = created.json as { id: string; token: string };
        expect(token).toMatch(/^scim_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
        expect((await c.call('GET', '/ServiceProviderConfig', { token })).status).toBe(200);
        const list = (await c.admin('GET', '/organizations/dev/scim-tokens')).json as Record<
          string,
          unknown
        >[];
        const listed = list.find((t) => t.id === id);
        expect(listed).toMatchObject({ id, name: 'Okta', organizationId: 'dev', revokedAt: null });
        expect(listed?.lastUsedAt).not.toBeNull();
        expect(JSON.stringify(list)).not.toContain(token.slice(22));
        expect((await c.admin('DELETE', `/organizations/dev/scim-tokens/${id}`)).status).toBe(204);
        expect((await c.admin('DELETE', `/organizations/dev/scim-tokens/${id}`)).status).toBe(404);
        expect((await c.call('GET', '/Users', { token })).status).toBe(401);
        expect((await c.admin('POST', '/organizations/nowhere/scim-tokens', {})).status).toBe(404);
        const unauthenticated = await fetch(`${c.t.baseUrl}/admin/api/organizations/dev/scim-tokens`, {
          method: 'POST',
        });
        expect(unauthenticated.status).toBe(401);
      });
    });
  });
}
