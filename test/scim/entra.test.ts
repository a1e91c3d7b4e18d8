/**
 * Issue #14: Microsoft Entra ID's SCIM request sequence, replayed over HTTP against the real server (SQLite).
 *
 * The requests follow Microsoft Learn, "Tutorial: Develop and plan provisioning for a SCIM endpoint in
 * Microsoft Entra ID" (entra/identity/app-provisioning/use-scim-to-provision-users-and-groups), sections
 * "User Operations" and "Group Operations": create with `externalId` and the enterprise extension, lookups with
 * `filter=userName eq` and `filter=externalId eq`, PATCH with capitalised ops ("Replace", "Add", "Remove") and
 * value paths such as `emails[type eq "work"].value`, groups fetched with `excludedAttributes=members` and
 * looked up with `filter=displayName eq`, members added and removed in batches with `"$ref": null` in each item.
 * The boolean-as-string form (`"value": "False"`, also inside a path-less value object) is the non-compliant
 * behaviour Microsoft documents in "Known issues and resolutions with SCIM 2.0 protocol compliance of the Microsoft
 * Entra user provisioning service" (apps without the aadOptscim062020 flag); the user is disabled with
 * active:false first and DELETEd when it is hard-deleted 30 days later.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, resources, type ScimClient, startScimOn } from './helpers.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const q = (filter: string) => encodeURIComponent(filter);

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`Entra ID provisioning sequence (${backend.name})`, () => {
    let c: ScimClient;
    beforeAll(async () => {
      c = await startScimOn(backend.name);
    }, 120_000);
    afterAll(async () => {
      await c?.close();
    });

    let userId: string;
    let managerId: string;
    const memberIds: string[] = [];
    let groupId: string;

    it('creates users with externalId and the enterprise extension', async () => {
      const lookup = await c.call(
        'GET',
        `/Users?filter=${q('userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"')}`,
      );
      expect(resources(lookup.json)).toEqual([]);
      const manager = await c.call('POST', '/Users', {
        body: { userName: 'manager@contoso.test', externalId: 'mgr-1' },
      });
      managerId = manager.json.id as string;
      const created = await c.call('POST', '/Users', {
        body: {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
          externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
          userName: 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1',
          active: true,
          emails: [
            {
              primary: true,
              type: 'work',
              value: 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com',
            },
          ],
          meta: { resourceType: 'User' },
          name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
          roles: [],
          [ENTERPRISE]: {
            employeeNumber: '100009',
            department: 'Human Resources US',
            manager: { value: managerId },
          },
        },
      });
      expect(created.status).toBe(201);
      userId = created.json.id as string;
      expect(created.json.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE]);
      expect(created.json[ENTERPRISE]).toEqual({
        employeeNumber: '100009',
        department: 'Human Resources US',
        manager: { value: managerId },
      });
      expect(created.json).not.toHaveProperty('roles');
    });

    it('finds users by userName and by externalId (its immutable key), case-exactly for externalId', async () => {
      const byName = await c.call(
        'GET',
        `/Users?filter=${q('userName eq "test_user_ab6490ee-1e48-479e-a20b-2d77186b5dd1"')}`,
      );
      expect(resources(byName.json).map((u) => u.id)).toEqual([userId]);
      const byExternal = await c.call(
        'GET',
        `/Users?filter=${q('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')}`,
      );
      expect(resources(byExternal.json).map((u) => u.id)).toEqual([userId]);
      const wrongCase = await c.call(
        'GET',
        `/Users?filter=${q('externalId eq "0A21F0F2-8D2A-4F8E-BF98-7363C4AED4EF"')}`,
      );
      expect(resources(wrongCase.json)).toEqual([]);
      // Entra ID may match on the work email; the parser reads `emails[type eq "work"].value eq "…"` as
      // `emails[type eq "work"] and emails.value eq "…"`.
      const byEmail = await c.call(
        'GET',
        `/Users?filter=${q('emails[type eq "work"].value eq "test_user_fd0ea19b-0777-472c-9f96-4f70d2226f2e@TESTUSER.com"')}`,
      );
      expect(resources(byEmail.json).map((u) => u.id)).toEqual([userId]);
    });

    it('updates multi- and single-valued attributes with PATCH "Replace", and the manager by its bare id', async () => {
      const patched = await c.call('PATCH', `/Users/${userId}`, {
        body: {
          schemas: [PATCH_OP],
          Operations: [
            { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
            { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
            { op: 'Add', path: `${ENTERPRISE}:department`, value: 'Finance' },
            { op: 'Replace', path: `${ENTERPRISE}:manager`, value: managerId },
          ],
        },
      });
      expect(patched.status).toBe(200);
      expect(patched.json.emails).toEqual([
        { primary: true, type: 'work', value: 'updatedEmail@microsoft.com' },
      ]);
      expect(patched.json.name).toMatchObject({ familyName: 'updatedFamilyName', givenName: 'givenName' });
      expect(patched.json[ENTERPRISE]).toMatchObject({
        department: 'Finance',
        manager: { value: managerId },
      });

      const renamed = await c.call('PATCH', `/Users/${userId}`, {
        body: {
          schemas: [PATCH_OP],
          Operations: [
            { op: 'Replace', path: 'userName', value: '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com' },
          ],
        },
      });
      expect(renamed.json.userName).toBe('5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com');
    });

    it('creates a group, reads it without members, finds it by displayName, and PATCHes members in batches', async () => {
      const group = await c.call('POST', '/Groups', {
        body: {
          schemas: [
            'urn:ietf:params:scim:schemas:core:2.0:Group',
            'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/Group',
          ],
          externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
          displayName: 'displayName',
          meta: { resourceType: 'Group' },
        },
      });
      expect(group.status).toBe(201);
      groupId = group.json.id as string;

      for (let i = 0; i < 5; i++) {
        const u = await c.call('POST', '/Users', {
          body: { userName: `member${i}@contoso.test`, externalId: `m${i}` },
        });
        memberIds.push(u.json.id as string);
      }
      // Entra ID batches membership changes; each item carries "$ref": null.
      const add = await c.call('PATCH', `/Groups/${groupId}`, {
        body: {
          schemas: [PATCH_OP],
          Operations: [
            { op: 'Add', path: 'members', value: memberIds.map((value) => ({ $ref: null, value })) },
          ],
        },
      });
      expect(add.status).toBe(200);
      const again = await c.call('PATCH', `/Groups/${groupId}`, {
        body: {
          schemas: [PATCH_OP],
          Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: memberIds[0] }] }],
        },
      });
      expect((again.json.members as unknown[]).length).toBe(5); // adding a member twice keeps one

      const remove = await c.call('PATCH', `/Groups/${groupId}`, {
        body: {
          schemas: [PATCH_OP],
          Operations: [
            {
              op: 'Remove',
              path: 'members',
              value: [
                { $ref: null, value: memberIds[1] },
                { $ref: null, value: memberIds[3] },
              ],
            },
          ],
        },
      });
      expect((remove.json.members as { value: string }[]).map((m) => m.value)).toEqual([
        memberIds[0],
        memberIds[2],
        memberIds[4],
      ]);

      const bare = await c.call('GET', `/Groups/${groupId}?excludedAttributes=members`);
      expect(bare.json).not.toHaveProperty('members');
      expect(bare.json).toMatchObject({ id: groupId, displayName: 'displayName' });
      const found = await c.call(
        'GET',
        `/Groups?excludedAttributes=members&filter=${q('displayName eq "displayName"')}`,
      );
      expect(resources(found.json).map((g) => g.id)).toEqual([groupId]);
      expect(resources(found.json)[0]).not.toHaveProperty('members');
      const member = await c.call(
        'GET',
        `/Groups?filter=${q(`id eq "${groupId}" and members[value eq "${memberIds[2]}"]`)}`,
      );
      expect(resources(member.json).map((g) => g.id)).toEqual([groupId]);

      const renamed = await c.call('PATCH', `/Groups/${groupId}`, {
        body: {
          schemas: [PATCH_OP],
          Operations: [{ op: 'Replace', path: 'displayName', value: 'updatedDisplayName' }],
        },
      });
      expect(renamed.json.displayName).toBe('updatedDisplayName');
    });

    it('disables with active "False" (a string, with and without a path), then DELETEs', async () => {
      const off = await c.call('PATCH', `/Users/${userId}`, {
        body: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
      });
      expect(off.status).toBe(200);
      expect(off.json.active).toBe(false);
      const on = await c.call('PATCH', `/Users/${userId}`, {
        body: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', value: { active: 'True' } }] },
      });
      expect(on.json.active).toBe(true);
      const offAgain = await c.call('PATCH', `/Users/${userId}`, {
        body: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', value: { active: 'False' } }] },
      });
      expect(offAgain.json.active).toBe(false);
      const maybe = await c.call('PATCH', `/Users/${userId}`, {
        body: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'maybe' }] },
      });
      expect(maybe.status).toBe(400);
      expect(maybe.json.scimType).toBe('invalidValue');

      // 30 days later Entra ID hard-deletes: DELETE, then the user is gone (and a member leaves its groups).
      const memberId = memberIds[0] as string;
      expect((await c.call('DELETE', `/Users/${memberId}`)).status).toBe(204);
      expect((await c.call('GET', `/Users/${memberId}`)).status).toBe(404);
      expect((await c.call('DELETE', `/Users/${memberId}`)).status).toBe(404);
      const group = await c.call('GET', `/Groups/${groupId}`);
      expect((group.json.members as { value: string }[]).map((m) => m.value)).not.toContain(memberId);
      const byExternal = await c.call('GET', `/Users?filter=${q('externalId eq "m0"')}`);
      expect(resources(byExternal.json)).toEqual([]);
    });
  });
}
