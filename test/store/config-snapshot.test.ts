/**
 * One read of the SQLite change counters per sign-in request (withConfigSnapshot), and never a stale
 * connection, organization or SP key: an admin edit committed by another instance on the same file (a worker
 * thread: its own connection and module state, as another process) applies at the next request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServiceProvider } from '../../src/sp/service-provider.ts';
import { withConfigSnapshot } from '../../src/store/config-snapshot.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import type { Stores } from '../../src/store/types.ts';
import { testKeyPair } from '../core/sp-fixtures.ts';
import { buildConnection } from './harness.ts';
import { buildOrganization } from './organizations.contract.ts';
import { OtherInstance } from './other-instance.ts';

describe('one configuration snapshot per request (SQLite change counters)', () => {
  let dir: string;
  let file: string;
  let stores: Stores;
  let other: OtherInstance;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-config-snapshot-'));
    file = path.join(dir, 'shared.db');
    stores = openSqliteStores(file);
    await stores.organizations?.put(buildOrganization());
    await stores.connections.put(buildConnection({ organizationId: 'acme' }));
    other = new OtherInstance(file);
  });
  afterEach(async () => {
    await other.close();
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const versions = async () => ({
    connections: await stores.connections.getIfChanged?.('acme', undefined),
    organizations: await stores.organizations?.getIfChanged?.('acme', undefined),
    spKeys: await stores.spKeys?.version?.(),
  });
  const versionOf = (read: unknown) => (read as { version: string }).version;

  it('answers a request from the counters as they were at its first question', async () => {
    await withConfigSnapshot(async () => {
      const first = await versions();
      // Edits committed by another instance while this request runs: it keeps the one view it started with.
      await other.edit({
        kind: 'connection',
        connection: buildConnection({ organizationId: 'acme', displayName: 'Edited' }),
      });
      await other.edit({ kind: 'organization-jit', id: 'acme', jit: false });
      await other.edit({ kind: 'sp-key', id: 'k1' });
      const connectionVersion = versionOf(first.connections);
      expect(await stores.connections.getIfChanged?.('acme', connectionVersion)).toBe('unchanged');
      expect(await stores.organizations?.getIfChanged?.('acme', versionOf(first.organizations))).toBe(
        'unchanged',
      );
      expect(await stores.spKeys?.version?.()).toBe(first.spKeys);
    });
  });

  it('sees every edit another instance committed before the request began', async () => {
    const before = await withConfigSnapshot(versions);
    await other.edit({
      kind: 'connection',
      connection: buildConnection({ organizationId: 'acme', displayName: 'Edited' }),
    });
    await other.edit({ kind: 'organization-jit', id: 'acme', jit: false });
    await other.edit({ kind: 'sp-key', id: 'k1' });
    await withConfigSnapshot(async () => {
      const connection = await stores.connections.getIfChanged?.('acme', versionOf(before.connections));
      expect(connection).toMatchObject({ connection: { displayName: 'Edited' } });
      const organization = await stores.organizations?.getIfChanged?.(
        'acme',
        versionOf(before.organizations),
      );
      expect(organization).toMatchObject({ organization: { policy: { jit: false } } });
      expect(await stores.spKeys?.version?.()).not.toBe(before.spKeys);
    });
  });

  it("drops the snapshot at this process's own write, on any instance", async () => {
    const second = openSqliteStores(file);
    try {
      await withConfigSnapshot(async () => {
        const first = await versions();
        await second.connections.put(buildConnection({ organizationId: 'acme', displayName: 'Edited here' }));
        const read = await stores.connections.getIfChanged?.('acme', versionOf(first.connections));
        expect(read).toMatchObject({ connection: { displayName: 'Edited here' } });
      });
    } finally {
      await second.close();
    }
  });

  it("a session read carries the counters: the request's later questions use them, a later request sees the edit", async () => {
    const before = await withConfigSnapshot(versions);
    const versionBefore = versionOf(before.connections);
    await withConfigSnapshot(async () => {
      // /me: the session read (none live here: the counters come along all the same) ...
      expect(await stores.signIns?.sessionWithUser?.('no-such-session', new Date())).toBeUndefined();
      await other.edit({
        kind: 'connection',
        connection: buildConnection({ organizationId: 'acme', displayName: 'Edited' }),
      });
      // ... then "has the connection changed?" is answered from the counters that read carried.
      expect(await stores.connections.getIfChanged?.('acme', versionBefore)).toBe('unchanged');
    });
    await withConfigSnapshot(async () => {
      await stores.signIns?.sessionWithUser?.('no-such-session', new Date());
      expect(await stores.connections.getIfChanged?.('acme', versionBefore)).toMatchObject({
        connection: { displayName: 'Edited' },
      });
    });
  });

  it('outside a request every question reads the counters', async () => {
    const first = await versions();
    await other.edit({ kind: 'sp-key', id: 'k1' });
    expect(await stores.spKeys?.version?.()).not.toBe(first.spKeys);
  });

  it('a login after an edit on another instance uses the edited connection; after a delete, none', async () => {
    const keys = testKeyPair('sp');
    const sp = new ServiceProvider({
      baseUrl: 'https://sp.example.com',
      entityId: 'https://sp.example.com/shared',
      keys: { signing: keys, encryption: keys },
      stores,
    });
    const login = async () => {
      const start = await sp.startLogin('acme', { browserKey: 'b' });
      return start.binding === 'redirect' ? new URL(start.url).origin + new URL(start.url).pathname : '';
    };
    expect(await login()).toBe('https://idp.acme.test/sso');
    expect(await login()).toBe('https://idp.acme.test/sso');
    await other.edit({
      kind: 'connection',
      connection: buildConnection({
        organizationId: 'acme',
        ssoEndpoints: [{ binding: 'redirect', location: 'https://idp.moved.test/sso' }],
      }),
    });
    expect(await login()).toBe('https://idp.moved.test/sso');
    await other.edit({ kind: 'delete-connection', id: 'acme' });
    await expect(login()).rejects.toMatchObject({ code: 'SAML_CONNECTION_NOT_FOUND' });
  });
});
