import { describe, expect, it } from 'vitest';
import { startSessionSweeper } from '../../src/sp/session-sweeper.ts';
import { MemorySessionStore } from '../../src/store/memory/sessions.ts';

describe('startSessionSweeper', () => {
  it('removes expired sessions from the registry on its interval, and stops', async () => {
    const sessions = new MemorySessionStore();
    const t0 = new Date('2027-03-01T12:00:00Z');
    const base = { userId: 'u', connectionId: 'acme', nameId: { value: 'alice' }, createdAt: t0 };
    await sessions.create({ ...base, id: 'old', expiresAt: new Date(t0.getTime() + 1000) });
    await sessions.create({ ...base, id: 'live', expiresAt: new Date(t0.getTime() + 3600_000) });
    const later = new Date(t0.getTime() + 60_000);
    const sweeps: unknown[] = [];
    const swept = new Promise<void>((resolve) => {
      const stop = startSessionSweeper(sessions, {
        intervalMs: 5,
        now: () => later,
        onSweep: (result) => {
          sweeps.push(result);
          stop();
          resolve();
        },
      });
    });
    await swept;
    expect(sweeps[0]).toEqual({ removed: 1 });
    expect((await sessions.findByNameId('acme', 'alice', undefined, t0)).map((s) => s.id)).toEqual(['live']);
  });
});
