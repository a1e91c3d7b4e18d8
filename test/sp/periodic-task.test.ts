import { describe, expect, it } from 'vitest';
import { PeriodicTask } from '../../src/sp/periodic-task.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('PeriodicTask', () => {
  it('runs after the initial delay and then every tick, never two runs at once', async () => {
    let runs = 0;
    const task = new PeriodicTask({
      name: 'Test',
      tickMs: 5,
      initialDelayMs: 0,
      job: async () => ++runs,
      onError: () => {},
    });
    task.start();
    task.start(); // idempotent: one schedule
    await new Promise((r) => setTimeout(r, 100));
    await task.stop();
    const stoppedAt = runs;
    expect(stoppedAt).toBeGreaterThan(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(runs).toBe(stoppedAt);
  });

  it('joins a run in progress, halts it on stop and waits for it', async () => {
    const gate = deferred();
    let started = 0;
    const seenHalted: boolean[] = [];
    const task = new PeriodicTask({
      name: 'Test',
      tickMs: 60_000,
      initialDelayMs: 60_000,
      job: async () => {
        started++;
        await gate.promise;
        seenHalted.push(task.halted);
        return started;
      },
      onError: () => {},
    });
    task.start();
    const first = task.run();
    const second = task.run(async () => -1);
    expect(second).toBe(first);
    const stopping = task.stop();
    gate.resolve();
    await stopping;
    expect(await first).toBe(1);
    expect(started).toBe(1);
    expect(seenHalted).toEqual([true]);
    task.start();
    expect(task.halted).toBe(false);
    await task.stop();
  });

  it('keeps the schedule after a failed run and reports the failure', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const task = new PeriodicTask({
      name: 'Test',
      tickMs: 5,
      initialDelayMs: 0,
      job: async () => {
        calls++;
        throw new Error(`run ${calls}`);
      },
      onError: (err) => errors.push(err),
    });
    task.start();
    await new Promise((r) => setTimeout(r, 60));
    await task.stop();
    expect(calls).toBeGreaterThan(1);
    expect(errors).toHaveLength(calls);
  });

  it('refuses a non-positive interval', () => {
    const job = async () => 0;
    expect(
      () => new PeriodicTask({ name: 'X', tickMs: 0, initialDelayMs: 0, job, onError: () => {} }),
    ).toThrow(/X: the interval must be positive/);
    expect(
      () => new PeriodicTask({ name: 'X', tickMs: 1, initialDelayMs: -1, job, onError: () => {} }),
    ).toThrow(TypeError);
  });
});
