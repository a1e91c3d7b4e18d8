/**
 * The pure key lifecycle (src/keys/lifecycle.ts) and key lint (src/keys/lint.ts): transitions, which keys a
 * connection signs, publishes and decrypts with (global and per connection), and the two warnings.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/core/keys.ts';
import { KeyLifecycleError, keysForConnection, promoted, retired } from '../../src/keys/lifecycle.ts';
import { lintKeys } from '../../src/keys/lint.ts';
import type { SpKeyRecord } from '../../src/store/sp-keys.ts';

const CERT = readFileSync(new URL('../fixtures/keys/sp.cert.pem', import.meta.url), 'utf8');
const day = (n: number) => new Date(Date.UTC(2026, 0, 1 + n));

function key(id: string, overrides: Partial<SpKeyRecord> = {}): SpKeyRecord {
  return {
    id,
    use: 'signing',
    state: 'active',
    certificatePem: CERT,
    keyRef: `file:/k/${id}.pem`,
    createdAt: day(0),
    activatedAt: day(0),
    ...overrides,
  };
}

const ids = (records: readonly SpKeyRecord[]) => records.map((r) => r.id);

describe('transitions', () => {
  it('promotes only next, retires only what is not retired', () => {
    expect(promoted(key('n', { state: 'next', activatedAt: undefined }), day(3))).toMatchObject({
      state: 'active',
      activatedAt: day(3),
    });
    expect(() => promoted(key('a'), day(3))).toThrow(KeyLifecycleError);
    expect(() => promoted(key('r', { state: 'retired' }), day(3))).toThrow(/only a next key/);
    const all = [key('a'), key('b', { activatedAt: day(2) })];
    expect(retired(all[0]!, all, day(4))).toMatchObject({ state: 'retired', retiredAt: day(4) });
    expect(() => retired(key('r', { state: 'retired' }), all, day(4))).toThrow(/already retired/);
  });

  it('refuses to retire the only active global key of a use, but lets a connection fall back', () => {
    const only = key('a');
    expect(() => retired(only, [only, key('e', { use: 'encryption' })], day(1))).toThrow(
      /only active global signing key/,
    );
    const own = key('own', { connectionId: 'acme' });
    expect(retired(own, [only, own], day(1)).state).toBe('retired');
  });
});

describe('keysForConnection', () => {
  it('signs with the most recently activated active key and publishes next and active', () => {
    const records = [
      key('old', { activatedAt: day(0) }),
      key('new', { activatedAt: day(5) }),
      key('upcoming', { state: 'next', activatedAt: undefined, createdAt: day(6) }),
      key('gone', { state: 'retired', retiredAt: day(4) }),
    ];
    const keys = keysForConnection(records, 'acme');
    expect(keys.signing.active?.id).toBe('new');
    expect(ids(keys.signing.published)).toEqual(['new', 'old', 'upcoming']);
  });

  it('decrypts with every non-retired encryption key, primary first, and names the retired ones', () => {
    const records = [
      key('e-old', { use: 'encryption' }),
      key('e-new', { use: 'encryption', activatedAt: day(5) }),
      key('e-next', { use: 'encryption', state: 'next', activatedAt: undefined }),
      key('e-gone', { use: 'encryption', state: 'retired' }),
    ];
    const { encryption } = keysForConnection(records, 'acme');
    expect(ids(encryption.decryption)).toEqual(['e-new', 'e-old', 'e-next']);
    expect(ids(encryption.published)).toEqual(['e-new', 'e-old', 'e-next']);
    expect(ids(encryption.retired)).toEqual(['e-gone']);
  });

  it('gives a connection its own keys once it has one, keeping the global active key until its own is active', () => {
    const global = key('g');
    const ownNext = key('own', { state: 'next', connectionId: 'acme', activatedAt: undefined });
    let keys = keysForConnection([global, ownNext], 'acme');
    expect(keys.signing.active?.id).toBe('g');
    expect(ids(keys.signing.published)).toEqual(['g', 'own']);
    keys = keysForConnection([global, { ...ownNext, state: 'active', activatedAt: day(1) }], 'acme');
    expect(ids(keys.signing.published)).toEqual(['own']);
    // Another connection is not affected.
    expect(ids(keysForConnection([global, ownNext], 'globex').signing.published)).toEqual(['g']);
  });

  it('keeps decrypting with the global keys after a connection moves to its own encryption key', () => {
    const records = [
      key('g', { use: 'encryption' }),
      key('own', { use: 'encryption', connectionId: 'acme', activatedAt: day(3) }),
    ];
    const { encryption } = keysForConnection(records, 'acme');
    expect(encryption.active?.id).toBe('own');
    expect(ids(encryption.published)).toEqual(['own']);
    expect(ids(encryption.decryption)).toEqual(['own', 'g']);
  });

  it('changes its version when a state changes', () => {
    const a = keysForConnection([key('a')], 'x').version;
    const b = keysForConnection([key('a', { state: 'retired' })], 'x').version;
    expect(a).not.toBe(b);
  });
});

describe('lintKeys', () => {
  it('warns about a next key the IdP has not fetched since it was added, until a later fetch', () => {
    const keys = keysForConnection(
      [key('a'), key('n', { state: 'next', createdAt: day(10), activatedAt: undefined })],
      'acme',
    );
    const warned = lintKeys({ keys, lastFetch: undefined, now: day(11) });
    expect(warned.map((w) => w.id)).toEqual(['sp-key-next-not-fetched']);
    expect(warned[0]!.message).toContain('No fetch');
    const stale = lintKeys({ keys, lastFetch: { at: day(9), by: '10.0.0.1 Okta' }, now: day(11) });
    expect(stale[0]!.message).toContain('10.0.0.1 Okta');
    expect(lintKeys({ keys, lastFetch: { at: day(10), by: 'x' }, now: day(11) })).toEqual([]);
  });

  it('warns 60 days before the active certificate ends, as an error once it has', async () => {
    const pair = await generateKeyPair({ commonName: 'short', days: 90, now: day(0) });
    const keys = keysForConnection([key('short', { certificatePem: pair.certificatePem })], 'acme');
    expect(lintKeys({ keys, lastFetch: undefined, now: day(20) })).toEqual([]);
    const soon = lintKeys({ keys, lastFetch: undefined, now: day(45) });
    expect(soon.map((w) => [w.id, w.severity])).toEqual([['sp-key-active-expiring', 'warning']]);
    expect(soon[0]!.message).toContain('expires in 45 days');
    expect(lintKeys({ keys, lastFetch: undefined, now: day(91) })[0]!.severity).toBe('error');
  });
});
