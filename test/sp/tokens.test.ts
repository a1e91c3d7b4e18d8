/**
 * The storage key of a token is part of what the stores hold (sessions, setup links, admin sessions): it must
 * stay the SHA-256 hex digest of the token, whatever computes it, or every stored session is lost at upgrade.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { looksLikeToken, newToken, tokenKey } from '../../src/sp/tokens.ts';

describe('tokenKey', () => {
  it('is the SHA-256 hex digest of the token, as stored by earlier versions', () => {
    expect(tokenKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    for (let i = 0; i < 20; i++) {
      const token = newToken();
      expect(looksLikeToken(token)).toBe(true);
      expect(tokenKey(token)).toBe(createHash('sha256').update(token).digest('hex'));
    }
    // A non-ASCII value hashes its UTF-8 bytes, as createHash(...).update(string) did.
    expect(tokenKey('é')).toBe(createHash('sha256').update('é', 'utf8').digest('hex'));
  });
});
