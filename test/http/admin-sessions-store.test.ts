/** Issue #11 item 5: admin sessions on a StateStore, as two instances sharing one store see them. */
import { describe, expect, it } from 'vitest';
import { AdminSessions } from '../../src/http/admin/index.ts';
import { MemoryStateStore } from '../../src/store/memory/index.ts';

const T = Date.parse('2026-01-01T00:00:00Z');

function pair(options: { idleMs?: number; maxAgeMs?: number } = {}) {
  const store = new MemoryStateStore();
  let now = T;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const make = () => new AdminSessions({ store, now: clock.now, ...options });
  return { a: make(), b: make(), clock };
}

describe('AdminSessions on a shared StateStore', () => {
  it('a session created on one instance is live on the other, with what the page saved into it', async () => {
    const { a, b } = pair();
    const { token, session } = await a.create();
    const onB = await b.get(token);
    expect(onB?.csrfToken).toBe(session.csrfToken);
    onB!.flash = { kind: 'ok', text: 'saved' };
    onB!.testRuns.set('run-1', { connectionId: 'acme', startedAt: T });
    await b.save(onB!);
    const onA = await a.get(token);
    expect(onA?.flash).toEqual({ kind: 'ok', text: 'saved' });
    expect(onA?.testRuns.get('run-1')).toEqual({ connectionId: 'acme', startedAt: T });
    await a.destroy(token);
    expect(await b.get(token)).toBeUndefined();
  });

  it('ends after the idle timeout, which every read renews, and after the absolute lifetime', async () => {
    const { a, b, clock } = pair({ idleMs: 60_000, maxAgeMs: 150_000 });
    const { token } = await a.create();
    clock.advance(50_000);
    expect(await b.get(token)).toBeDefined(); // renews the idle timer, on the shared record
    clock.advance(50_000);
    expect(await a.get(token)).toBeDefined();
    clock.advance(50_001); // 150 s after creation: past the absolute lifetime
    expect(await b.get(token)).toBeUndefined();

    const idle = await a.create();
    clock.advance(60_001);
    expect(await b.get(idle.token)).toBeUndefined();
  });

  it('only well-formed cookie values are looked up; the store never sees the cookie value itself', async () => {
    const store = new MemoryStateStore();
    const sessions = new AdminSessions({ store });
    expect(await sessions.get('not-a-token')).toBeUndefined();
    const { token } = await sessions.create();
    expect(await store.get(`admin-session:${token}`, new Date())).toBeUndefined();
  });
});
