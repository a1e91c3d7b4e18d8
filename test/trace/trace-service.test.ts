/**
 * The trace room's pure parts and service on an injected clock: trace IDs as people type them, the sealed raw
 * capture (tamper and key mismatch), the error families of the end-user page, retention and the size cap, the
 * capture window, and the budget of unverified traces.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorFamily } from '../../src/http/end-user-page.ts';
import { MemoryStateStore, MemoryTraceStore } from '../../src/store/memory/index.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import type { StateStore } from '../../src/store/types.ts';
import { captureKey, newTraceId, normalizeTraceId, TraceService } from '../../src/trace/index.ts';
import { seal, unseal } from '../../src/trace/raw-capture.ts';
import { testKeyPair } from '../core/sp-fixtures.ts';
import { buildTrace } from '../store/traces.contract.ts';

const T0 = new Date('2026-03-01T12:00:00.000Z');

describe('trace IDs', () => {
  it('are two groups of five unambiguous characters, and read back as people type them', () => {
    const ids = new Set(Array.from({ length: 2000 }, newTraceId));
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
    expect(normalizeTraceId('k7qm4xd2pa')).toBe('K7QM4-XD2PA');
    expect(normalizeTraceId(' K7QM4-XD2PA ')).toBe('K7QM4-XD2PA');
    expect(normalizeTraceId('O7QML-XD2PI')).toBe('07QM1-XD2P1');
    expect(normalizeTraceId('K7QM4-XD2P')).toBeUndefined();
    expect(normalizeTraceId('K7QM4-XD2PU')).toBeUndefined();
    expect(normalizeTraceId('../../etc')).toBeUndefined();
    expect(normalizeTraceId(42)).toBeUndefined();
  });
});

describe('sealed raw capture', () => {
  const derived = captureKey({ spPrivateKeyPem: testKeyPair('sp').privateKeyPem });

  it('derives the same key from the same SP key, another from another, and takes an explicit one', () => {
    expect(captureKey({ spPrivateKeyPem: testKeyPair('sp').privateKeyPem }).keyId).toBe(derived.keyId);
    expect(captureKey({ spPrivateKeyPem: testKeyPair('idp').privateKeyPem }).keyId).not.toBe(derived.keyId);
    const explicit = captureKey({ spPrivateKeyPem: '', explicitKey: Buffer.alloc(32, 7) });
    expect(explicit.keyId).not.toBe(derived.keyId);
    expect(() => captureKey({ spPrivateKeyPem: '', explicitKey: Buffer.alloc(16) })).toThrow(TypeError);
  });

  it('opens only with the same key, for the same trace, untampered', () => {
    const sealed = seal('<samlp:Response>alice</samlp:Response>', derived, 'AAAAA-BBBBB');
    expect(sealed.sealed).not.toContain('alice');
    expect(unseal(sealed, derived, 'AAAAA-BBBBB')).toBe('<samlp:Response>alice</samlp:Response>');
    expect(() => unseal(sealed, derived, 'AAAAA-CCCCC')).toThrow();
    const bytes = Buffer.from(sealed.sealed, 'base64url');
    bytes[20] = (bytes[20] ?? 0) ^ 1;
    expect(() =>
      unseal({ ...sealed, sealed: bytes.toString('base64url') }, derived, 'AAAAA-BBBBB'),
    ).toThrow();
    const other = captureKey({ spPrivateKeyPem: testKeyPair('idp').privateKeyPem });
    expect(() => unseal(sealed, other, 'AAAAA-BBBBB')).toThrow(/another key/);
  });
});

describe('error families of the end-user page', () => {
  it('maps codes (and the IdP status codes) to plain-language families', () => {
    const status = 'urn:oasis:names:tc:SAML:2.0:status:';
    expect(
      errorFamily('SAML_STATUS_NOT_SUCCESS', 400, [`${status}Responder`, `${status}RequestDenied`]),
    ).toBe('not-assigned');
    expect(errorFamily('SAML_STATUS_NOT_SUCCESS', 400, [`${status}Responder`])).toBe('idp-refused');
    expect(errorFamily('SAML_RESPONSE_EXPIRED')).toBe('expired');
    expect(errorFamily('SAML_IN_RESPONSE_TO_UNKNOWN')).toBe('expired');
    expect(errorFamily('SAML_RESPONSE_NOT_YET_VALID')).toBe('clock');
    expect(errorFamily('SAML_AUDIENCE_MISMATCH')).toBe('setup');
    expect(errorFamily('SAML_SIGNATURE_UNTRUSTED')).toBe('setup');
    expect(errorFamily('SAML_MALFORMED')).toBe('unreadable');
    expect(errorFamily('STORE_UNAVAILABLE', 503)).toBe('unavailable');
    expect(errorFamily('INTERNAL_ERROR', 500)).toBe('unavailable');
    expect(errorFamily('SAML_CONNECTION_NOT_FOUND', 404)).toBe('not-found');
    expect(errorFamily('METHOD_NOT_ALLOWED', 405)).toBe('method');
  });
});

describe('TraceService', () => {
  function service(now: { t: Date }, options: { maxCount?: number; unverifiedPerMinute?: number } = {}) {
    return new TraceService({
      store: new MemoryTraceStore(),
      state: new MemoryStateStore(),
      captureKey: captureKey({ spPrivateKeyPem: testKeyPair('sp').privateKeyPem }),
      retentionDays: 7,
      now: () => now.t,
      ...options,
    });
  }

  it('purges past the retention, then the oldest past the cap', async () => {
    const clock = { t: T0 };
    const traces = service(clock, { maxCount: 2 });
    const day = 86_400_000;
    for (const [i, age] of [10, 6, 3, 1].entries()) {
      await traces.store.put(
        buildTrace({ traceId: `CCCCC-0000${i}`, at: new Date(T0.getTime() - age * day) }),
      );
    }
    expect(await traces.purge()).toBe(2);
    expect((await traces.list()).map((t) => t.traceId)).toEqual(['CCCCC-00003', 'CCCCC-00002']);
  });

  it('opens a capture window of at most 24 h that ends by itself', async () => {
    const clock = { t: T0 };
    const traces = service(clock);
    await expect(traces.startCapture('acme', 24 * 60 + 1)).rejects.toThrow(RangeError);
    await expect(traces.startCapture('acme', 0)).rejects.toThrow(RangeError);
    const until = await traces.startCapture('acme', 30);
    expect(until.toISOString()).toBe('2026-03-01T12:30:00.000Z');
    expect(await traces.captureUntil('acme')).toEqual(until);
    expect(await traces.captureUntil('globex')).toBeUndefined();
    clock.t = new Date(T0.getTime() + 31 * 60_000);
    expect(await traces.captureUntil('acme')).toBeUndefined();
  });

  it('traces unverified attempts within the budget per minute, verified ones always', async () => {
    const clock = { t: T0 };
    const traces = service(clock, { unverifiedPerMinute: 3 });
    const attempt = (verified: boolean) =>
      traces.recordSignIn({
        ok: false,
        connectionId: 'acme',
        at: clock.t,
        error: new Error('x'),
        attempt: { traceId: newTraceId(), checks: [], verified },
      });
    for (let i = 0; i < 10; i++) await attempt(false);
    expect(await traces.list()).toHaveLength(3);
    for (let i = 0; i < 5; i++) await attempt(true);
    expect(await traces.list({ limit: 500 })).toHaveLength(8);
    clock.t = new Date(T0.getTime() + 60_000);
    await attempt(false);
    expect(await traces.list({ limit: 500 })).toHaveLength(9);
    expect((await traces.list())[0]).toMatchObject({ errorCode: 'INTERNAL_ERROR', verified: false });
  });
});

describe('the capture switch across instances', () => {
  /** Two instances: each its own TraceService and its own connection to one SQLite file. */
  function instance(file: string, captureCheckMs: number) {
    const stores = openSqliteStores(file);
    const traces = new TraceService({
      store: new MemoryTraceStore(),
      state: stores.state as StateStore,
      captureKey: captureKey({ spPrivateKeyPem: testKeyPair('sp').privateKeyPem }),
      captureCheckMs,
    });
    const attempt = async () => {
      const traceId = newTraceId();
      await traces.recordSignIn({
        ok: false,
        connectionId: 'acme',
        at: new Date(),
        error: new Error('x'),
        attempt: { traceId, checks: [], verified: true, samlResponse: 'PHNhbWxwOlJlc3BvbnNlLz4=' },
      });
      return (await traces.get(traceId))?.rawMessage !== undefined;
    };
    return { stores, traces, attempt };
  }

  it('applies at once where the admin switched it, and within captureCheckMs on the other instance', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-capture-'));
    const file = path.join(dir, 'shared.db');
    const CHECK_MS = 300;
    const a = instance(file, CHECK_MS);
    const b = instance(file, CHECK_MS);
    try {
      expect(await a.attempt()).toBe(false); // A has read the switch: off
      await b.traces.startCapture('acme', 5);
      expect(await b.attempt()).toBe(true); // at once where it was switched
      const switchedAt = performance.now();
      // A trusts its read for at most CHECK_MS: then it captures, without a restart or an admin action.
      let seenAfter: number | undefined;
      while (performance.now() - switchedAt < CHECK_MS * 4) {
        if (await a.attempt()) {
          seenAfter = performance.now() - switchedAt;
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(seenAfter).toBeDefined();
      expect(seenAfter).toBeLessThanOrEqual(CHECK_MS + 100);
      await b.traces.stopCapture('acme');
      expect(await b.attempt()).toBe(false);
      await new Promise((r) => setTimeout(r, CHECK_MS + 20));
      expect(await a.attempt()).toBe(false);
    } finally {
      await a.stores.close();
      await b.stores.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with captureCheckMs 0, every attempt reads the switch', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-capture-'));
    const file = path.join(dir, 'shared.db');
    const a = instance(file, 0);
    const b = instance(file, 0);
    try {
      expect(await a.attempt()).toBe(false);
      await b.traces.startCapture('acme', 5);
      expect(await a.attempt()).toBe(true);
      await b.traces.stopCapture('acme');
      expect(await a.attempt()).toBe(false);
    } finally {
      await a.stores.close();
      await b.stores.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
