/** Setup links: the room's public module (service, events, input schema). */
export type { SetupLinkEvent, SetupLinkEventType } from './events.ts';
export {
  type CreatedSetupLink,
  type CreateSetupLinkInput,
  createSetupLinkSchema,
  DEFAULT_EXPIRY_DAYS,
  linkActor,
  MAX_EXPIRY_DAYS,
  type SetupLinkClient,
  type SetupLinkOrganizations,
  SetupLinkService,
  type SetupLinkServiceOptions,
  type SetupLinkView,
} from './service.ts';
