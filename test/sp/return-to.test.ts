/**
 * Issue #9, item 2: the one guard of every redirect sink. The hostile forms come from the open-redirect
 * literature (protocol-relative and scheme tricks, backslashes, dot segments, single and double percent
 * encodings, control and invisible characters, header splitting); each must come out as '/'. The safe forms
 * must survive, normalised. test/http/redirects.test.ts runs the same table (test/fixtures/hostile-return-to.ts)
 * through the HTTP sinks.
 */
import { describe, expect, it } from 'vitest';
import { checkReturnTo, safeReturnTo } from '../../src/sp/return-to.ts';
import { HOSTILE_RETURN_TO } from '../fixtures/hostile-return-to.ts';

const SAFE: readonly (readonly [string, string])[] = [
  ['/', '/'],
  ['/billing?tab=2', '/billing?tab=2'],
  ['/a/b#section', '/a/b#section'],
  ['/after?x=1&y=%2F%2Fnot-a-path', '/after?x=1&y=%2F%2Fnot-a-path'],
  ['/search?q=a b', '/search?q=a%20b'],
  ['/caf\u00e9', '/caf%C3%A9'],
  ['/caf%C3%A9', '/caf%C3%A9'],
  ['/.well-known/thing', '/.well-known/thing'],
  ['/a.b/c..d/...', '/a.b/c..d/...'],
  ['/#//evil.example', '/#//evil.example'],
  ['/admin/test-runs/acme/0123abcd', '/admin/test-runs/acme/0123abcd'],
];

describe('safeReturnTo: hostile forms (issue #9, item 2)', () => {
  it('has at least thirty hostile forms', () => {
    expect(HOSTILE_RETURN_TO.length).toBeGreaterThanOrEqual(30);
  });

  it.each(HOSTILE_RETURN_TO)('refuses %j (%s)', (value) => {
    expect(safeReturnTo(value)).toBe('/');
  });

  it('tells a refused value from an absent one (checkReturnTo)', () => {
    for (const [value] of HOSTILE_RETURN_TO) expect(checkReturnTo(value)).toBeUndefined();
    expect(checkReturnTo('/billing')).toBe('/billing');
  });

  it('refuses what is not a string (repeated query parameters arrive as arrays)', () => {
    for (const value of [undefined, null, 42, ['/a', '//evil.example'], { toString: () => '/a' }]) {
      expect(safeReturnTo(value)).toBe('/');
    }
  });
});

describe('safeReturnTo: ordinary paths', () => {
  it.each(SAFE)('keeps %j as %j', (value, expected) => {
    expect(safeReturnTo(value)).toBe(expected);
  });

  it('returns only values it would accept again (a fixed point)', () => {
    for (const [value] of SAFE) expect(safeReturnTo(safeReturnTo(value))).toBe(safeReturnTo(value));
  });
});

describe('checkReturnTo: remembered answers (issue #16)', () => {
  it('answers every safe and hostile form the same when asked again, also after the memory was cleared', () => {
    const ask = () => [
      ...SAFE.map(([value]) => checkReturnTo(value)),
      ...HOSTILE_RETURN_TO.map(([value]) => checkReturnTo(value)),
    ];
    const first = ask();
    expect(ask()).toEqual(first);
    expect(first.slice(0, SAFE.length)).toEqual(SAFE.map(([, out]) => out));
    expect(first.slice(SAFE.length).every((answer) => answer === undefined)).toBe(true);
    // More distinct values than are remembered: the memory is cleared on the way, answers do not change.
    for (let i = 0; i < 1_500; i++) expect(checkReturnTo(`/page/${i}?x=%2F`)).toBe(`/page/${i}?x=%2F`);
    expect(ask()).toEqual(first);
  });

  it('keeps values that differ only in a lone surrogate apart', () => {
    const lone = '/a\ud800';
    const replaced = '/a\ufffd';
    const loneAnswer = checkReturnTo(lone);
    expect(checkReturnTo(replaced)).toBe('/a%EF%BF%BD');
    expect(checkReturnTo(lone)).toBe(loneAnswer);
  });
});
