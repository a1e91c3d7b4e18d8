/** Keycloak (the dev realm): plain names, repeated <Attribute> elements merged upstream into repeated values. */
import { describe, expect, it } from 'vitest';
import { FORMAT, map } from './helpers.ts';

describe('keycloak preset', () => {
  it('maps the dev realm mappers and de-duplicates repeated group values', () => {
    const profile = map(
      'keycloak',
      {
        email: ['alice@example.test'],
        firstName: ['Alice'],
        lastName: ['Liddell'],
        externalId: ['8f14e45f-ceea-467f-a8f0-5b6b1f3c0a9e'],
        // One <Attribute> per group (single=false) merged by the parser, so values repeat.
        groups: ['engineering', 'admins', 'engineering', ' admins '],
        Role: ['default-roles-sp-kit', 'offline_access', 'uma_authorization'],
      },
      { value: 'alice@example.test', format: FORMAT.email },
    );
    expect(profile).toEqual({
      email: 'alice@example.test',
      firstName: 'Alice',
      lastName: 'Liddell',
      displayName: 'Alice Liddell',
      groups: ['engineering', 'admins'],
      externalId: '8f14e45f-ceea-467f-a8f0-5b6b1f3c0a9e',
      warnings: ['displayName derived from firstName and lastName'],
    });
  });

  it('takes a G-<uuid> persistent NameID as externalId when the id mapper is absent', () => {
    const profile = map(
      'keycloak',
      { email: ['a@example.test'] },
      { value: 'G-4c6e', format: FORMAT.persistent },
    );
    expect(profile.externalId).toBe('G-4c6e');
  });

  it('skips blank values and looks no further than a name that has any', () => {
    const profile = map('keycloak', { email: ['  ', 'alice@example.test'], firstName: [''] });
    expect(profile.email).toBe('alice@example.test');
    expect(profile.firstName).toBeUndefined();
    expect(profile.displayName).toBeUndefined();
  });
});
