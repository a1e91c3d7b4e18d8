/** The generic preset, overrides, and inputs that must not confuse the mapper. */
import { describe, expect, it } from 'vitest';
import { FORMAT, map } from './helpers.ts';

describe('generic preset', () => {
  it('tries the names in order: the first non-empty one wins', () => {
    const profile = map('generic', {
      mail: ['second@example.com'],
      Email: [''],
      'urn:oid:0.9.2342.19200300.100.1.3': ['fourth@example.com'],
      'urn:oid:2.5.4.42': ['Erin'],
      sn: ['Example'],
      memberOf: ['cn=staff,ou=groups,dc=example,dc=com'],
      member: ['ignored'],
    });
    expect(profile.email).toBe('second@example.com');
    expect(profile.firstName).toBe('Erin');
    expect(profile.lastName).toBe('Example');
    expect(profile.groups).toEqual(['cn=staff,ou=groups,dc=example,dc=com']);
  });

  it('takes any persistent NameID as externalId', () => {
    expect(map('generic', {}, { value: 'abc', format: FORMAT.persistent }).externalId).toBe('abc');
  });

  it('ignores attribute names that collide with Object.prototype', () => {
    const profile = map('generic', {}, { value: 'x', format: FORMAT.transient }, { email: ['constructor'] });
    expect(profile.email).toBeUndefined();
  });
});

describe('overrides', () => {
  it('replace the preset list for that field only', () => {
    const attributes = {
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': ['preset@contoso.com'],
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname': ['Frank'],
      department_mail: ['override@contoso.com'],
      'custom-groups': ['sales', 'sales'],
    };
    const profile = map('entra', attributes, undefined, {
      email: ['department_mail'],
      groups: ['custom-groups'],
    });
    expect(profile.email).toBe('override@contoso.com');
    expect(profile.firstName).toBe('Frank');
    expect(profile.groups).toEqual(['sales']);
  });

  it('an empty override list switches a field off', () => {
    const profile = map('okta', { displayName: ['Shown'], firstName: ['A'] }, undefined, { displayName: [] });
    expect(profile.displayName).toBe('A');
  });

  it('the UPN fallback still applies under an email override that matched nothing', () => {
    const profile = map(
      'entra',
      { 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': ['gina@contoso.com'] },
      undefined,
      { email: ['mail'] },
    );
    expect(profile.email).toBe('gina@contoso.com');
    expect(profile.warnings.some((w) => w.startsWith('email taken from the UPN'))).toBe(true);
  });

  it('overage is reported even when groups are mapped elsewhere', () => {
    const profile = map('generic', {
      groups: ['a'],
      'http://schemas.microsoft.com/claims/groups.link': ['https://graph'],
    });
    expect(profile.groups).toEqual(['a']);
    expect(profile.warnings.some((w) => w.startsWith('groups unknown (overage)'))).toBe(true);
  });
});
