/**
 * Issue #14: Okta's SCIM 2.0 request sequence, replayed over HTTP against the real server (SQLite).
 *
 * The requests are those of Okta's reference "Okta and SCIM Version 2.0" (developer.okta.com, docs/api/openapi/
 * okta-scim/guides/scim-20): on assignment Okta first looks the user up with `filter=userName eq "…"` (with
 * startIndex=1&count=100), creates it with POST when nothing matches (its body carries `password`, an empty
 * `groups` and `locale`), reads it back, pushes profile changes as a PUT of the whole user (with `id`, `groups`
 * and `meta`), deactivates with PATCH `{"op":"replace","value":{"active":false}}` (no path) and reactivates the
 * same way; pushed groups are created with POST, renamed with PATCH replace `{id, displayName}` and their
 * membership changed with PATCH remove `members[value eq "…"]` and add `members` with a member list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, resources, type ScimClient, startScimOn } from './helpers.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`Okta provisioning sequence (${backend.name})`, () => {
    let c: ScimClient;
    beforeAll(async () => {
      c = await startScimOn(backend.name);
    }, 120_000);
    afterAll(async () => {
      await c?.close();
    });

    let userId: string;
    let groupId: string;

    it('looks the user up by userName before creating it: an empty ListResponse', async () => {
      const found = await c.call(
        'GET',
        `/Users?filter=${encodeURIComponent('userName eq "test.user@okta.local"')}&startIndex=1&count=100`,
      );
      expect(found.status).toBe(200);
      expect(found.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(found.json).toMatchObject({ totalResults: 0, startIndex: 1, itemsPerPage: 0 });
      expect(resources(found.json)).toEqual([]);
    });

    it('creates the user (201, Location, ETag); the password is never stored or returned', async () => {
      const created = await c.call('POST', '/Users', {
        body: {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: 'test.user@okta.local',
          name: { givenName: 'Test', familyName: 'User' },
          emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
          displayName: 'Test User',
          locale: 'en-US',
          externalId: '00ujl29u0le5T6Aj10h7',
          groups: [],
          password: '1mz050nq',
          active: true,
        },
      });
      expect(created.status).toBe(201);
      userId = created.json.id as string;
      expect(created.headers.get('location')).toBe(`${c.base()}/Users/${userId}`);
      expect(created.headers.get('etag')).toBe('W/"1"');
      expect(created.json).toMatchObject({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'test.user@okta.local',
        name: { givenName: 'Test', familyName: 'User' },
        active: true,
        externalId: '00ujl29u0le5T6Aj10h7',
        meta: { resourceType: 'User', location: `${c.base()}/Users/${userId}`, version: 'W/"1"' },
      });
      expect(created.json).not.toHaveProperty('password');
      // Okta retries an assignment: the same userName again is a 409 uniqueness, case-insensitively.
      const again = await c.call('POST', '/Users', { body: { userName: 'Test.User@OKTA.local' } });
      expect(again.status).toBe(409);
      expect(again.json).toMatchObject({ status: '409', scimType: 'uniqueness' });
    });

    it('finds it by userName (any case) and reads it back by id', async () => {
      const found = await c.call(
        'GET',
        `/Users?filter=${encodeURIComponent('userName eq "TEST.USER@okta.local"')}&startIndex=1&count=100`,
      );
      expect(resources(found.json).map((u) => u.id)).toEqual([userId]);
      const got = await c.call('GET', `/Users/${userId}`);
      expect(got.status).toBe(200);
      expect(got.json.displayName).toBe('Test User');
    });

    it('updates the profile with a PUT of the whole user', async () => {
      const put = await c.call('PUT', `/Users/${userId}`, {
        body: {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          id: userId,
          userName: 'test.user@okta.local',
          name: { givenName: 'Another', middleName: '', familyName: 'User' },
          emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
          displayName: 'Another User',
          locale: 'en-US',
          externalId: '00ujl29u0le5T6Aj10h7',
          groups: [],
          active: true,
          meta: {
            resourceType: 'User',
            created: '2019-01-01T00:00:00Z',
            lastModified: '2019-01-01T00:00:00Z',
          },
        },
      });
      expect(put.status).toBe(200);
      expect(put.json).toMatchObject({
        displayName: 'Another User',
        name: { givenName: 'Another', familyName: 'User' },
      });
      expect(put.json.name).not.toHaveProperty('middleName');
      expect(put.headers.get('etag')).toBe('W/"2"');
    });

    it('pushes a group, renames it, and changes its members with PATCH member lists', async () => {
      const other = await c.call('POST', '/Users', { body: { userName: 'other@okta.local', active: true } });
      const otherId = other.json.id as string;
      const group = await c.call('POST', '/Groups', {
        body: {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
          displayName: 'Test SCIMv2',
          members: [],
        },
      });
      expect(group.status).toBe(201);
      groupId = group.json.id as string;

      const renamed = await c.call('PATCH', `/Groups/${groupId}`, {
        body: {
          schemas: [PATCH_OP],
          Operations: [{ op: 'replace', value: { id: groupId, displayName: 'Test SCIMv2 renamed' } }],
        },
      });
      expect(renamed.status).toBe(200);
      expect(renamed.json.displayName).toBe('Test SCIMv2 renamed');
      expect(renamed.json.id).toBe(groupId);

      const add = await c.call('PATCH', `/Groups/${groupId}`, {
        body: {
          schemas: [PATCH_OP],
          Operations: [
            {
              op: 'add',
              path: 'members',
              value: [
                { value: userId, display: 'test.user@okta.local' },
                { value: otherId, display: 'other@okta.local' },
              ],
            },
          ],
        },
      });
      expect(add.status).toBe(200);
      expect((add.json.members as { value: string }[]).map((m) => m.value)).toEqual([userId, otherId]);

      const swap = await c.call('PATCH', `/Groups/${groupId}`, {
        body: {
          schemas: [PATCH_OP],
          Operations: [{ op: 'remove', path: `members[value eq "${otherId}"]` }],
        },
      });
      expect((swap.json.members as { value: string }[]).map((m) => m.value)).toEqual([userId]);

      const user = await c.call('GET', `/Users/${userId}`);
      expect(user.json.groups).toEqual([
        {
          value: groupId,
          display: 'Test SCIMv2 renamed',
          $ref: `${c.base()}/Groups/${groupId}`,
          type: 'direct',
        },
      ]);
      // Okta's group import lists every group page by page.
      const list = await c.call('GET', '/Groups?startIndex=1&count=100');
      expect(resources(list.json).map((g) => g.displayName)).toEqual(['Test SCIMv2 renamed']);
    });

    it('deactivates with PATCH replace active:false (no path), and reactivates', async () => {
      const off = await c.call('PATCH', `/Users/${userId}`, {
        body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] },
      });
      expect(off.status).toBe(200);
      expect(off.json.active).toBe(false);
      const filtered = await c.call('GET', `/Users?filter=${encodeURIComponent('active eq false')}`);
      expect(resources(filtered.json).map((u) => u.id)).toEqual([userId]);
      const on = await c.call('PATCH', `/Users/${userId}`, {
        body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] },
      });
      expect(on.json.active).toBe(true);
    });

    it('deletes the group', async () => {
      expect((await c.call('DELETE', `/Groups/${groupId}`)).status).toBe(204);
      expect((await c.call('GET', `/Groups/${groupId}`)).status).toBe(404);
      expect((await c.call('GET', `/Users/${userId}`)).json).not.toHaveProperty('groups');
    });
  });
}
