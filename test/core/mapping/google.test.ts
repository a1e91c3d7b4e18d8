/** Google Workspace: admin-mapped names, the NameID is the primary email, no stable ID. */
import { describe, expect, it } from 'vitest';
import { FORMAT, map } from './helpers.ts';

describe('google preset', () => {
  it('maps the admin-mapped attributes and derives the display name', () => {
    const profile = map(
      'google',
      {
        email: ['dana@example.org'],
        firstName: ['Dana'],
        lastName: ['Scully'],
        groups: ['x-files@example.org'],
      },
      { value: 'dana@example.org', format: FORMAT.email },
    );
    expect(profile).toEqual({
      email: 'dana@example.org',
      firstName: 'Dana',
      lastName: 'Scully',
      displayName: 'Dana Scully',
      groups: ['x-files@example.org'],
      warnings: ['displayName derived from firstName and lastName'],
    });
  });

  it('takes the email from an address-like NameID even when its format is unspecified', () => {
    const profile = map('google', {}, { value: 'dana@example.org', format: FORMAT.unspecified });
    expect(profile.email).toBe('dana@example.org');
    expect(profile.warnings.some((w) => w.startsWith('email taken from the NameID'))).toBe(true);
  });

  it('no email when the NameID is not address-like', () => {
    expect(map('google', {}, { value: '1098765432', format: FORMAT.unspecified }).email).toBeUndefined();
  });

  it('with only a first name, the display name is the first name', () => {
    expect(map('google', { firstName: ['Dana'] }).displayName).toBe('Dana');
  });
});
