/** Okta: admin-named attribute statements, NameID fallback for email. */
import { describe, expect, it } from 'vitest';
import { FORMAT, map } from './helpers.ts';

describe('okta preset', () => {
  it('maps the recommended attribute statements', () => {
    const profile = map(
      'okta',
      {
        email: ['carol@initech.com'],
        firstName: ['Carol'],
        lastName: ['Peters'],
        displayName: ['Carol P.'],
        groups: ['Everyone', 'TPS-Reports'],
      },
      { value: '00u1abcdEFGHijkl5d7', format: FORMAT.persistent },
    );
    expect(profile).toEqual({
      email: 'carol@initech.com',
      firstName: 'Carol',
      lastName: 'Peters',
      displayName: 'Carol P.',
      groups: ['Everyone', 'TPS-Reports'],
      externalId: '00u1abcdEFGHijkl5d7',
      warnings: ['externalId taken from the persistent NameID'],
    });
  });

  it('takes the email from an emailAddress-format NameID when no email attribute is sent', () => {
    const profile = map(
      'okta',
      { firstName: ['Carol'] },
      { value: 'carol@initech.com', format: FORMAT.email },
    );
    expect(profile.email).toBe('carol@initech.com');
    expect(profile.warnings).toContain(
      'email taken from the NameID (format emailAddress): no email attribute was sent',
    );
  });

  it('does not take an unspecified-format NameID as email, even when it looks like one', () => {
    const profile = map('okta', {}, { value: 'carol@initech.com', format: FORMAT.unspecified });
    expect(profile.email).toBeUndefined();
    expect(profile.warnings).toContain('no email: none of "email" was sent');
  });

  it('refuses an emailAddress-format NameID that is not an address', () => {
    const profile = map('okta', {}, { value: 'carol', format: FORMAT.email });
    expect(profile.email).toBeUndefined();
    expect(profile.warnings.some((w) => w.startsWith('the NameID has format emailAddress but "carol"'))).toBe(
      true,
    );
  });

  it('an empty groups attribute is no groups, without a warning', () => {
    const profile = map(
      'okta',
      { email: ['c@initech.com'], groups: [] },
      { value: 'x', format: FORMAT.persistent },
    );
    expect(profile.groups).toEqual([]);
    expect(profile.warnings.some((w) => w.includes('groups'))).toBe(false);
  });

  it('says when a single-valued field arrived with several values', () => {
    const profile = map('okta', { email: ['a@initech.com', 'b@initech.com'] });
    expect(profile.email).toBe('a@initech.com');
    expect(profile.warnings).toContain('email: "email" carries 2 different values; the first was used');
  });
});
