/** The JSON view of a connection (CONTRACT.md): the stored connection plus the SP values an IdP admin needs. */
import type { Connection } from '../core/types.ts';
import type { ServiceProvider } from './service-provider.ts';

/** A connection with the SP values an IdP admin needs, as the admin API also shows it. */
export function connectionView(sp: ServiceProvider, c: Connection) {
  const spValues = sp.spIdentity(c);
  const { metadataXml: _omit, ...rest } = c;
  return {
    ...rest,
    ssoUrl: c.ssoEndpoints[0]?.location ?? null,
    sloUrl: c.sloEndpoints[0]?.location ?? null,
    allowIdpInitiated: c.policy.allowIdpInitiated,
    spEntityId: spValues.entityId,
    acsUrl: spValues.acsUrl,
    spSloUrl: spValues.sloUrl,
    metadataUrl: spValues.metadataUrl,
    idpMetadataUrl: c.metadataUrl ?? null,
  };
}

