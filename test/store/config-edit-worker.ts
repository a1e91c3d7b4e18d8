/**
 * A worker thread for config-snapshot.test.ts and the SCIM cross-instance test (through other-instance.ts):
 * another instance on the same SQLite file, with its own
 * connection and its own module state (nothing it does reaches the main thread except through the file), like
 * another process. Each message is one admin edit; the reply comes after it committed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Connection } from '../../src/core/types.ts';
import type { ScimGroupRow, ScimUserRow } from '../../src/store/scim.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';

export type ConfigEdit =
  | { kind: 'connection'; connection: Connection }
  | { kind: 'delete-connection'; id: string }
  | { kind: 'organization-jit'; id: string; jit: boolean }
  | { kind: 'sp-key'; id: string }
  /** A SCIM user written as the SCIM service would: inserted, or the stored one replaced at the next version. */
  | { kind: 'scim-user'; row: ScimUserRow }
  /** A SCIM group with its members, inserted or replacing the stored one at the next version. */
  | { kind: 'scim-group'; row: ScimGroupRow }
  | {
      kind: 'scim-user-change';
      organizationId: string;
      id: string;
      change: { active?: boolean; deleted?: boolean };
    };

const stores = openSqliteStores((workerData as { file: string }).file);
parentPort?.on('message', async (edit: ConfigEdit | 'close') => {
  if (edit === 'close') {
    await stores.close();
    parentPort?.close();
    return;
  }
  if (edit.kind === 'connection') await stores.connections.put(edit.connection);
  if (edit.kind === 'delete-connection') await stores.connections.delete(edit.id);
  if (edit.kind === 'organization-jit') {
    const organization = await stores.organizations?.get(edit.id);
    if (organization)
      await stores.organizations?.put({ ...organization, policy: { ...organization.policy, jit: edit.jit } });
  }
  if (edit.kind === 'sp-key') {
    await stores.spKeys?.put({
      id: edit.id,
      use: 'signing',
      state: 'next',
      certificatePem: 'PEM',
      keyRef: `file:${edit.id}`,
      createdAt: new Date(0),
    });
  }
  if (edit.kind === 'scim-user') {
    const stored = await stores.scim?.getUser(edit.row.organizationId, edit.row.id);
    if (!stored) await stores.scim?.insertUser(edit.row);
    else await stores.scim?.updateUser({ ...edit.row, version: stored.version + 1 });
  }
  if (edit.kind === 'scim-group') {
    const stored = await stores.scim?.getGroup(edit.row.organizationId, edit.row.id);
    if (!stored) await stores.scim?.insertGroup(edit.row);
    else await stores.scim?.updateGroup({ ...edit.row, version: stored.version + 1 });
  }
  if (edit.kind === 'scim-user-change') {
    const stored = await stores.scim?.getUser(edit.organizationId, edit.id);
    if (stored) {
      const active = edit.change.active ?? stored.active;
      await stores.scim?.updateUser({
        ...stored,
        ...edit.change,
        resource: { ...stored.resource, active },
        version: stored.version + 1,
        updatedAt: new Date(),
      });
    }
  }
  parentPort?.postMessage('done');
});
parentPort?.postMessage('ready');
