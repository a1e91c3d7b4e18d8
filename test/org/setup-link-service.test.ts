/**
 * SetupLinkService on an injected clock, HTTP-free: the expiry boundary, the hash, the actor, the organization
 * check, the events (the emit point for webhooks) and a failing subscriber that must not lock anyone out.
 */
import { describe, expect, it } from 'vitest';
import { type SetupLinkEvent, SetupLinkService } from '../../src/org/setup-links/index.ts';
import { isAdminError } from '../../src/sp/admin-errors.ts';
import { tokenKey } from '../../src/sp/tokens.ts';
import { MemorySetupLinkStore } from '../../src/store/memory/setup-links.ts';

const T0 = new Date('2026-03-01T12:00:00.000Z');
const DAY = 86_400_000;

function setup(options: { onEvent?: (e: SetupLinkEvent) => void; organizations?: string[] } = {}) {
  let now = T0;
  const events: SetupLinkEvent[] = [];
  const store = new MemorySetupLinkStore();
  const links = new SetupLinkService({
    store,
    baseUrl: 'https://app.example.com/',
    now: () => now,
    onEvent: options.onEvent ?? ((e) => void events.push(e)),
    ...(options.organizations
      ? {
          organizations: {
            get: async (id: string) =>
              options.organizations?.includes(id) ? { id, name: `${id} Inc.` } : undefined,
          },
        }
      : {}),
  });
  return { links, store, events, at: (ms: number) => (now = new Date(T0.getTime() + ms)) };
}

const tokenOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return isAdminError(err) ? err.code : String(err);
  }
}

describe('SetupLinkService', () => {
  it('stores the hash, names the actor, and opens the link until the last millisecond before expiresAt', async () => {
    const { links, store, at } = setup();
    const created = await links.create('acme', { expiresInDays: 2 }, { actor: { kind: 'cli', name: 'cli' } });
    expect(created.url).toMatch(/^https:\/\/app\.example\.com\/setup\/[A-Za-z0-9_-]{43}$/);
    expect(created.expiresAt).toBe(new Date(T0.getTime() + 2 * DAY).toISOString());
    const stored = await store.get(created.id);
    expect(stored?.tokenHash).toBe(tokenKey(tokenOf(created.url)));
    expect(JSON.stringify(stored)).not.toContain(tokenOf(created.url));
    expect(stored?.createdBy).toBe('cli:cli');

    at(2 * DAY - 1);
    expect((await links.open(tokenOf(created.url))).id).toBe(created.id);
    at(2 * DAY);
    expect(await codeOf(links.open(tokenOf(created.url)))).toBe('SETUP_LINK_EXPIRED');
    expect(await codeOf(links.live(created.id))).toBe('SETUP_LINK_EXPIRED');
  });

  it('refuses unknown and malformed tokens as not found, without a store lookup for junk', async () => {
    const { links } = setup();
    expect(await codeOf(links.open('x'.repeat(43)))).toBe('SETUP_LINK_NOT_FOUND');
    expect(await codeOf(links.open('../../etc/passwd'))).toBe('SETUP_LINK_NOT_FOUND');
  });

  it('refuses a link for an organization the organizations service does not know', async () => {
    const { links } = setup({ organizations: ['acme'] });
    expect(await codeOf(links.create('globex'))).toBe('ORGANIZATION_NOT_FOUND');
    expect((await links.create('acme')).organizationId).toBe('acme');
    expect(await links.organizationName('acme')).toBe('acme Inc.');
  });

  it('emits created, used, expired and revoked, with the link as the actor of what the IT admin does', async () => {
    const { links, events, at } = setup();
    const a = await links.create('acme', {}, { actor: { kind: 'admin-token', name: 'admin' } });
    const link = await links.open(tokenOf(a.url), { ip: '203.0.113.7', userAgent: 'Firefox' });
    await links.recordUse(link, 'metadata', { ip: '203.0.113.7' });
    await links.revoke(a.id, { actor: { kind: 'admin-session', name: 'admin' } });
    await links.revoke(a.id); // twice: one event
    const b = await links.create('acme');
    at(8 * DAY);
    await codeOf(links.open(tokenOf(b.url)));
    expect(events.map((e) => e.type)).toEqual([
      'setup_link.created',
      'setup_link.used',
      'setup_link.used',
      'setup_link.revoked',
      'setup_link.created',
      'setup_link.expired',
    ]);
    expect(events[1]).toMatchObject({
      action: 'open',
      ip: '203.0.113.7',
      userAgent: 'Firefox',
      actor: { kind: 'setup-link', name: a.id },
    });
    expect(events[3]).toMatchObject({ actor: { kind: 'admin-session', name: 'admin' } });
    expect(events[4]?.actor).toEqual({ kind: 'system', name: 'unknown' });
  });

  it('a subscriber that throws changes nothing', async () => {
    const { links } = setup({
      onEvent: () => {
        throw new Error('webhook down');
      },
    });
    const created = await links.create('acme');
    expect((await links.open(tokenOf(created.url))).organizationId).toBe('acme');
  });
});
