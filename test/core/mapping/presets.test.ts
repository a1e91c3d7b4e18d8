import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/core/errors.ts';
import { getPreset, PRESETS, resolveMapping } from '../../../src/core/mapping/presets.ts';
import { PRESET_NAMES, type PresetName } from '../../../src/core/types.ts';

describe('PRESETS', () => {
  it('has one preset per PresetName', () => {
    expect(Object.keys(PRESETS).sort()).toEqual([...PRESET_NAMES].sort());
  });

  it('uses the exact Entra claim URIs (the UPN claim is never the display name)', () => {
    const entra = PRESETS.entra;
    expect(entra.email).toEqual(['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress']);
    expect(entra.firstName).toEqual(['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname']);
    expect(entra.lastName).toEqual(['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname']);
    expect(entra.displayName).toEqual(['http://schemas.microsoft.com/identity/claims/displayname']);
    expect(entra.groups?.[0]).toBe('http://schemas.microsoft.com/ws/2008/06/identity/claims/groups');
    expect(entra.externalId).toEqual(['http://schemas.microsoft.com/identity/claims/objectidentifier']);
    expect(entra.upnAttributes).toEqual(['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name']);
    expect(entra.displayName).not.toContain('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name');
  });

  it('uses the exact ADFS claim URIs', () => {
    const adfs = PRESETS.adfs;
    expect(adfs.email).toEqual(['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress']);
    expect(adfs.upnAttributes).toEqual(['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn']);
    expect(adfs.groups?.[0]).toBe('http://schemas.xmlsoap.org/claims/Group');
    expect(adfs.displayName?.[0]).toBe('http://schemas.xmlsoap.org/claims/CommonName');
  });

  it('marks no immutable field for Google, whose only subject is the renamable primary email', () => {
    expect(PRESETS.google.immutableField).toBeUndefined();
    expect(PRESETS.entra.immutableField).toBe('externalId');
  });

  it('is frozen, so one connection cannot change another one’s defaults', () => {
    expect(() => (PRESETS.okta.email as string[]).push('x')).toThrow(TypeError);
  });
});

describe('resolveMapping', () => {
  it('returns the preset lists when there are no overrides', () => {
    const resolved = resolveMapping('okta', {});
    expect(resolved).toEqual({
      email: ['email'],
      firstName: ['firstName'],
      lastName: ['lastName'],
      displayName: ['displayName'],
      groups: ['groups'],
      externalId: [],
    });
  });

  it('replaces, never merges, the preset list of an overridden field', () => {
    const resolved = resolveMapping('entra', { email: ['mail'], groups: [] });
    expect(resolved.email).toEqual(['mail']);
    expect(resolved.groups).toEqual([]);
    expect(resolved.firstName).toEqual(PRESETS.entra.firstName);
  });

  it('returns fresh arrays', () => {
    const resolved = resolveMapping('okta', {});
    resolved.email.push('changed');
    expect(PRESETS.okta.email).toEqual(['email']);
  });

  it('refuses an unknown preset name', () => {
    expect(() => resolveMapping('ping' as PresetName, {})).toThrow(InvalidOptionError);
    expect(() => getPreset('toString' as PresetName)).toThrow(InvalidOptionError);
  });
});
