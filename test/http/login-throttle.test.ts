/** Issue #9 item 8: the admin sign-in throttle's policy, and the TRUST_PROXY setting that feeds it. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { LoginThrottle } from '../../src/http/admin/index.ts';

describe('LoginThrottle', () => {
  it('rotating addresses buys no more than the global ceiling of guesses per window', () => {
    const throttle = new LoginThrottle();
    let guesses = 0;
    for (let i = 0; i < 20_000; i++) {
      const client = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      if (throttle.blocked(client, 1_000)) continue;
      guesses++;
      throttle.fail(client, 1_000);
    }
    expect(guesses).toBe(100);
    // The window passes: guessing may resume, one address at a time.
    expect(throttle.blocked('10.0.0.1', 1_000 + 15 * 60_000)).toBe(false);
  });

  it('tracking many addresses drops the oldest one, not every bucket at once', () => {
    const throttle = new LoginThrottle({ maxTotal: Number.POSITIVE_INFINITY, maxClients: 100 });
    for (let i = 0; i < 10; i++) throttle.fail('oldest', 0);
    for (let i = 0; i < 10; i++) throttle.fail('recent', 0);
    for (let i = 0; i < 99; i++) throttle.fail(`rotating-${i}`, 0);
    expect(throttle.blocked('recent', 1)).toBe(true);
    expect(throttle.blocked('oldest', 1)).toBe(false);
  });

  it('a correct sign-in resets its own address, not the global count', () => {
    const throttle = new LoginThrottle({ maxPerClient: 3, maxTotal: 5 });
    for (let i = 0; i < 3; i++) throttle.fail('a', 0);
    throttle.reset('a');
    expect(throttle.blocked('a', 1)).toBe(false);
    throttle.fail('b', 1);
    throttle.fail('c', 1);
    expect(throttle.blocked('d', 2)).toBe(true);
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
