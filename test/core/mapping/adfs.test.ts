/** AD FS: claim URIs from "Send LDAP Attributes as Claims" rules, token-groups, UPN fallback. */
import { describe, expect, it } from 'vitest';
import { FORMAT, map } from './helpers.ts';

const C = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const GROUP = 'http://schemas.xmlsoap.org/claims/Group';
const COMMON_NAME = 'http://schemas.xmlsoap.org/claims/CommonName';
const ROLE = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';

function adfsAttributes(extra: Record<string, string[]> = {}): Record<string, string[]> {
  return {
    [`${C}/emailaddress`]: ['bob@fabrikam.com'],
    [`${C}/upn`]: ['bob@corp.fabrikam.com'],
    [`${C}/givenname`]: ['Bob'],
    [`${C}/surname`]: ['Builder'],
    [COMMON_NAME]: ['Bob Builder'],
    [GROUP]: ['Domain Users', 'Engineering', 'Domain Users'],
    ...extra,
  };
}

describe('adfs preset', () => {
  it('maps LDAP claims; CommonName is the display name; token-groups are de-duplicated', () => {
    const nameId = { value: 'x7Gq1bT3lCkzV0=', format: FORMAT.persistent };
    expect(map('adfs', adfsAttributes(), nameId)).toEqual({
      email: 'bob@fabrikam.com',
      firstName: 'Bob',
      lastName: 'Builder',
      displayName: 'Bob Builder',
      groups: ['Domain Users', 'Engineering'],
      externalId: 'x7Gq1bT3lCkzV0=',
      warnings: ['externalId taken from the persistent NameID'],
    });
  });

  it('falls back to the upn claim for email, with a warning', () => {
    const attributes = adfsAttributes();
    delete attributes[`${C}/emailaddress`];
    const profile = map('adfs', attributes);
    expect(profile.email).toBe('bob@corp.fabrikam.com');
    expect(profile.warnings.some((w) => w.includes(`email taken from the UPN in "${C}/upn"`))).toBe(true);
  });

  it('uses the name claim for the display name when a rule sends it instead of CommonName', () => {
    const attributes = adfsAttributes({ [`${C}/name`]: ['FABRIKAM Bob'] });
    delete attributes[COMMON_NAME];
    expect(map('adfs', attributes).displayName).toBe('FABRIKAM Bob');
  });

  it('takes roles when no Group claim is issued', () => {
    const attributes = adfsAttributes({ [ROLE]: ['Admins'] });
    delete attributes[GROUP];
    expect(map('adfs', attributes).groups).toEqual(['Admins']);
  });

  it('warns that a transient or missing NameID leaves no stable ID', () => {
    const profile = map('adfs', adfsAttributes());
    expect(profile.externalId).toBeUndefined();
    expect(profile.warnings.some((w) => w.startsWith('no externalId:'))).toBe(true);
  });
});
