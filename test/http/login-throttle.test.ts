/** Issue #9 item 8: the admin sign-in throttle's policy, and the TRUST_PROXY setting that feeds it. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { LoginThrottle } from '../../src/http/admin/index.ts';

describe('LoginThrottle', () => {
  it('rotating addresses buys no more than the global ceiling of guesses per window', async () => {
    const throttle = new LoginThrottle();
    let guesses = 0;
    for (let i = 0; i < 20_000; i++) {
      const client = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      if (await throttle.blocked(client, 1_000)) continue;
      guesses++;
      await throttle.fail(client, 1_000);
    }
    expect(guesses).toBe(100);
    // The window passes: guessing may resume, one address at a time.
    expect(await throttle.blocked('10.0.0.1', 1_000 + 15 * 60_000)).toBe(false);
  });

  it('a correct sign-in resets its own address, not the global count', async () => {
    const throttle = new LoginThrottle({ maxPerClient: 3, maxTotal: 5 });
    for (let i = 0; i < 3; i++) await throttle.fail('a', 0);
    await throttle.reset('a');
    expect(await throttle.blocked('a', 1)).toBe(false);
    await throttle.fail('b', 1);
    await throttle.fail('c', 1);
    expect(await throttle.blocked('d', 2)).toBe(true);
  });
});

describe('TRUST_PROXY', () => {
  const load = (value?: string) =>
    loadConfig(value === undefined ? {} : { TRUST_PROXY: value }, { cwd: '/tmp' }).trustProxy;

  it('defaults to trusting no forwarding header', () => {
    expect(load()).toBe(false);
  });

  it('takes true/false, a hop count, or a list of addresses, ranges and range names', () => {
    expect(load('true')).toBe(true);
    expect(load('false')).toBe(false);
    expect(load('2')).toBe(2);
    expect(load('loopback, 10.0.0.0/8,fd00::/8, 192.0.2.1')).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
      '192.0.2.1',
    ]);
  });

  it('refuses anything else', () => {
    for (const bad of ['yes', '10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/1', '::1/129', 'loopback,']) {
      expect(() => load(bad), bad).toThrow(ConfigError);
    }
  });
});
