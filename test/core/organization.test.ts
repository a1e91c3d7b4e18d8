/** The pure organization rules: domain spelling, the verified-domain policy, JIT, the login hint. */
import { describe, expect, it } from 'vitest';
import { isSamlSpError } from '../../src/core/errors.ts';
import {
  DEFAULT_ORGANIZATION_POLICY,
  emailDomain,
  emailDomainAllowed,
  normalizeDomain,
  type Organization,
  restrictsEmailDomains,
} from '../../src/core/organization.ts';
import { checkSignInPolicy } from '../../src/core/organization-policy.ts';
import { acceptableLoginHint, LOGIN_HINT_METHODS } from '../../src/core/request/login-hint.ts';
import { PRESET_NAMES } from '../../src/core/types.ts';

function org(domains: [string, boolean][], policy: Partial<Organization['policy']> = {}): Organization {
  return {
    id: 'acme',
    name: 'Acme',
    domains: domains.map(([domain, verified]) => ({
      domain,
      verified,
      verificationToken: 't',
      createdAt: '2026-01-01T00:00:00.000Z',
    })),
    policy: { ...DEFAULT_ORGANIZATION_POLICY, ...policy },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

function codeOf(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return isSamlSpError(error) ? error.code : String(error);
  }
}

describe('normalizeDomain and emailDomain', () => {
  it('spells a domain one way: lower case, no trailing dot, IDNs in ASCII', () => {
    expect(normalizeDomain(' Example.COM. ')).toBe('example.com');
    expect(normalizeDomain('bücher.example')).toBe('xn--bcher-kva.example');
    expect(emailDomain('Alice@Example.com')).toBe('example.com');
    expect(emailDomain('a@b@example.com')).toBe('example.com');
  });

  it('refuses what is not an email domain', () => {
    for (const bad of [
      '',
      'localhost',
      '10.0.0.1',
      '[::1]',
      'a..b',
      '-a.example',
      'https://a.example',
      'a b.example',
      'a.example/x',
    ]) {
      expect(normalizeDomain(bad), bad).toBeUndefined();
    }
    expect(emailDomain('no-at-sign')).toBeUndefined();
    expect(emailDomain('trailing@')).toBeUndefined();
  });
});

describe('the verified-domain restriction', () => {
  it('is in force only with the policy on and at least one verified domain', () => {
    expect(restrictsEmailDomains(org([]))).toBe(false);
    expect(restrictsEmailDomains(org([['acme.test', false]]))).toBe(false);
    expect(restrictsEmailDomains(org([['acme.test', true]]))).toBe(true);
    expect(restrictsEmailDomains(org([['acme.test', true]], { restrictToVerifiedDomains: false }))).toBe(
      false,
    );
  });

  it('admits exactly the verified domains (not pending ones, not subdomains), case-insensitively', () => {
    const o = org([
      ['acme.test', true],
      ['pending.test', false],
    ]);
    expect(emailDomainAllowed(o, 'alice@ACME.test')).toBe(true);
    expect(emailDomainAllowed(o, 'alice@pending.test')).toBe(false);
    expect(emailDomainAllowed(o, 'alice@eu.acme.test')).toBe(false);
    expect(emailDomainAllowed(o, undefined)).toBe(false);
    expect(emailDomainAllowed(org([]), 'anyone@anywhere.test')).toBe(true);
  });

  it('checkSignInPolicy refuses with SAML_EMAIL_DOMAIN_NOT_VERIFIED (403) and a hint for the admin', () => {
    const o = org([['acme.test', true]]);
    const input = { organization: o, connectionId: 'acme-okta', userExists: true };
    expect(
      codeOf(() => checkSignInPolicy({ ...input, profile: { email: 'alice@acme.test' } })),
    ).toBeUndefined();
    try {
      checkSignInPolicy({ ...input, profile: { email: 'mallory@evil.test' } });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        code: 'SAML_EMAIL_DOMAIN_NOT_VERIFIED',
        status: 403,
        details: { organizationId: 'acme', emailDomain: 'evil.test', verifiedDomains: ['acme.test'] },
      });
      expect((error as Error & { hint: string }).hint).toContain('restrictToVerifiedDomains');
    }
    expect(codeOf(() => checkSignInPolicy({ ...input, profile: {} }))).toBe('SAML_EMAIL_DOMAIN_NOT_VERIFIED');
  });

  it('checkSignInPolicy refuses an unknown user with SAML_JIT_DISABLED when JIT is off', () => {
    const o = org([], { jit: false });
    const input = { organization: o, connectionId: 'c', profile: { email: 'a@b.test' } };
    expect(codeOf(() => checkSignInPolicy({ ...input, userExists: false }))).toBe('SAML_JIT_DISABLED');
    expect(codeOf(() => checkSignInPolicy({ ...input, userExists: true }))).toBeUndefined();
  });
});

describe('the login hint', () => {
  it('has a method for every preset', () => {
    expect(Object.keys(LOGIN_HINT_METHODS).sort()).toEqual([...PRESET_NAMES].sort());
    expect(LOGIN_HINT_METHODS.keycloak).toBe('subject-name-id');
    expect(LOGIN_HINT_METHODS.entra).toBe('query-login-hint');
  });

  it('sends only a plain email address', () => {
    expect(acceptableLoginHint(' alice@example.com ')).toBe('alice@example.com');
    for (const bad of [
      undefined,
      42,
      '',
      'alice',
      'a@b',
      '<a>@b.test',
      'a"@b.test',
      `${'a'.repeat(250)}@b.test`,
    ]) {
      expect(acceptableLoginHint(bad), String(bad)).toBeUndefined();
    }
  });
});
