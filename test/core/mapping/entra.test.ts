/** Microsoft Entra ID: claim-URI attribute Names, UPN fallback, GUID groups and group overage. */
import { describe, expect, it } from 'vitest';
import { FORMAT, map } from './helpers.ts';

const C = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const MS = 'http://schemas.microsoft.com/identity/claims';
const GROUPS = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';
const ROLE = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';
const OVERAGE = 'http://schemas.microsoft.com/claims/groups.link';

/** What an Entra gallery app sends by default, plus the groups claim and the identity claims. */
function entraAttributes(extra: Record<string, string[]> = {}): Record<string, string[]> {
  return {
    [`${MS}/tenantid`]: ['72f988bf-86f1-41af-91ab-2d7cd011db47'],
    [`${MS}/objectidentifier`]: ['3bbdb0a6-0e0f-4b0e-9c9a-1f2f9c6c1234'],
    [`${MS}/identityprovider`]: ['https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/'],
    [`${C}/name`]: ['alice@contoso.onmicrosoft.com'],
    [`${C}/emailaddress`]: ['alice@contoso.com'],
    [`${C}/givenname`]: ['Alice'],
    [`${C}/surname`]: ['Liddell'],
    [GROUPS]: ['b7f6a1e2-0000-4000-8000-000000000001', 'b7f6a1e2-0000-4000-8000-000000000002'],
    ...extra,
  };
}

const pairwise = { value: 'k3Jh9aZ0T2bqX1P5pQ7m8v2L3nYdR6s', format: FORMAT.persistent };

describe('entra preset', () => {
  it('maps the default claims; the objectidentifier, not the NameID, is the externalId', () => {
    const profile = map(
      'entra',
      entraAttributes({ [`${MS}/displayname`]: ['Alice Liddell (Finance)'] }),
      pairwise,
    );
    expect(profile).toEqual({
      email: 'alice@contoso.com',
      firstName: 'Alice',
      lastName: 'Liddell',
      displayName: 'Alice Liddell (Finance)',
      groups: ['b7f6a1e2-0000-4000-8000-000000000001', 'b7f6a1e2-0000-4000-8000-000000000002'],
      externalId: '3bbdb0a6-0e0f-4b0e-9c9a-1f2f9c6c1234',
      warnings: [],
    });
  });

  it('never takes the UPN claim as the display name', () => {
    const profile = map('entra', entraAttributes(), pairwise);
    expect(profile.displayName).toBe('Alice Liddell');
    expect(profile.warnings).toEqual(['displayName derived from firstName and lastName']);
  });

  it('falls back to the UPN for email when the mailbox claim is empty, and says so', () => {
    const profile = map('entra', entraAttributes({ [`${C}/emailaddress`]: [''] }), pairwise);
    expect(profile.email).toBe('alice@contoso.onmicrosoft.com');
    expect(profile.warnings.some((w) => w.startsWith('email taken from the UPN'))).toBe(true);
  });

  it('does not use a UPN that is not address-like as email', () => {
    const attributes = entraAttributes({ [`${C}/name`]: ['CONTOSO\\alice'] });
    delete attributes[`${C}/emailaddress`];
    const profile = map('entra', attributes, pairwise);
    expect(profile.email).toBeUndefined();
    expect(profile.warnings).toContain(
      `the UPN "CONTOSO\\alice" in "${C}/name" does not look like an email address; not used as email`,
    );
    expect(profile.warnings.some((w) => w.startsWith('no email:'))).toBe(true);
  });

  it('prefers an emailAddress-format NameID over the UPN', () => {
    const attributes = entraAttributes();
    delete attributes[`${C}/emailaddress`];
    const profile = map('entra', attributes, { value: 'alice@contoso.com', format: FORMAT.email });
    expect(profile.email).toBe('alice@contoso.com');
    expect(profile.warnings.some((w) => w.startsWith('email taken from the NameID'))).toBe(true);
  });

  it('overage: groups are unknown, warned, and never replaced by roles', () => {
    const attributes = entraAttributes({
      [OVERAGE]: ['https://graph.windows.net/72f988bf/users/3bbdb0a6/getMemberObjects'],
      [ROLE]: ['Approver'],
    });
    delete attributes[GROUPS];
    const profile = map('entra', attributes, pairwise);
    expect(profile.groups).toEqual([]);
    expect(profile.warnings.filter((w) => w.startsWith('groups unknown (overage)'))).toHaveLength(1);
  });

  it('without the groups claim or overage, app roles stand in for groups', () => {
    const attributes = entraAttributes({ [ROLE]: ['Approver', 'Reader'] });
    delete attributes[GROUPS];
    expect(map('entra', attributes, pairwise).groups).toEqual(['Approver', 'Reader']);
  });

  it('falls back to the pairwise persistent NameID when objectidentifier is missing', () => {
    const attributes = entraAttributes();
    delete attributes[`${MS}/objectidentifier`];
    const profile = map('entra', attributes, pairwise);
    expect(profile.externalId).toBe(pairwise.value);
    expect(profile.warnings).toContain('externalId taken from the persistent NameID');
  });

  it('warns when there is no stable ID at all', () => {
    const attributes = entraAttributes();
    delete attributes[`${MS}/objectidentifier`];
    const profile = map('entra', attributes, { value: 'alice@contoso.com', format: FORMAT.email });
    expect(profile.externalId).toBeUndefined();
    expect(profile.warnings.some((w) => w.startsWith('no externalId:'))).toBe(true);
  });
});
