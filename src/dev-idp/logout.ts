/**
 * The dev IdP's side of Single Logout, over its session model (sessions.ts: each IdP session lists the SPs that
 * took part, with the NameID and SessionIndex each one got).
 *
 * - SP-initiated: an SP's LogoutRequest ends the IdP session it names (the browser's own session when its cookie
 *   came along, else every session where that SP holds that NameID and SessionIndex, as Keycloak does without
 *   its cookie), and the SP gets a signed LogoutResponse.
 * - IdP-initiated (`logoutUser`): ends every session of a user and sends each participating SP one LogoutRequest
 *   naming the NameID and every SessionIndex it holds, over Redirect, POST (for a browser to carry) or SOAP
 *   (sent here, server to server, with no cookie).
 * - Propagation (logout-propagation.ts): the *other* SPs of the sessions an SP-initiated logout ended are told
 *   too, through the browser (front channel) or over SOAP (back channel), before the initiator gets its answer.
 */
import type { Element } from '@xmldom/xmldom';
import { XMLSerializer } from '@xmldom/xmldom';
import { LOGOUT_STATUS } from '../core/logout/logout-response.ts';
import { NS, STATUS_SUCCESS } from '../core/xml/namespaces.ts';
import { childElements, parseXml } from '../core/xml/parse.ts';
import {
  buildIdpLogoutRequest,
  buildIdpLogoutResponse,
  type DevIdpLogoutBinding,
  type DevIdpLogoutMessage,
  type LogoutRequestOverrides,
  spSloUrl,
} from './logout-messages.ts';
import type { ReadSloContext, SpLogoutRequest, SpLogoutResponse } from './logout-read.ts';
import type { ResponseIssuer } from './response.ts';
import { type ServiceProviderDirectory, withAnySigningEntity } from './service-providers.ts';
import type { IdpSession, IdpSessionStore, SessionParticipant } from './sessions.ts';

/** What the logout functions work with; createDevIdp wires it. */
export interface DevIdpLogoutDeps {
  issuer: ResponseIssuer;
  directory: ServiceProviderDirectory;
  sessions: IdpSessionStore;
  read: ReadSloContext;
  /** Every LogoutResponse an SP sent back, newest last (front channel and SOAP). */
  responses: LogoutResponseRecord[];
}

/** A LogoutResponse an SP sent to the dev IdP. */
export interface LogoutResponseRecord {
  spEntityId: string;
  binding: 'redirect' | 'post' | 'soap';
  inResponseTo?: string;
  statusCodes: string[];
  /** samlify verified its signature (non-Success responses are recorded unverified). */
  verified: boolean;
  receivedAt: Date;
}

/** The sessions an SP's LogoutRequest at /slo ended. */
export interface SpLogoutOutcome {
  ended: IdpSession[];
  /** SPs of the ended sessions other than the requester: who propagation tells (logout-propagation.ts). */
  otherParticipants: SessionParticipant[];
}

/**
 * Ends the IdP session(s) an SP's LogoutRequest names: the browser's own session when its cookie came along and
 * the SP took part in it under that NameID, else every session where the SP holds that NameID and SessionIndex.
 */
export function endSpLogoutSessions(
  deps: DevIdpLogoutDeps,
  request: SpLogoutRequest,
  cookieSessionId: string | undefined,
  now: Date,
): SpLogoutOutcome {
  const { sessions } = deps;
  const own = sessions.get(cookieSessionId, now);
  const named = (s: IdpSession) => {
    const p = s.participants.get(request.sp.entityId);
    return (
      p !== undefined &&
      p.nameId === request.nameId &&
      (request.sessionIndexes.length === 0 || request.sessionIndexes.includes(p.sessionIndex))
    );
  };
  const targets =
    own && named(own)
      ? [own]
      : sessions.findByParticipant(request.sp.entityId, request.nameId, request.sessionIndexes, now);
  const ended = targets.map((s) => sessions.end(s.id)).filter((s): s is IdpSession => s !== undefined);
  const otherParticipants = ended.flatMap((s) =>
    [...s.participants.values()].filter((p) => p.spEntityId !== request.sp.entityId),
  );
  return { ended, otherParticipants };
}

/**
 * The signed LogoutResponse to an SP's LogoutRequest, over the binding the request came in on when the SP
 * offers it. `partial`: Success / PartialLogout, when another participant did not confirm its logout.
 */
export function answerSpLogout(
  deps: DevIdpLogoutDeps,
  request: Pick<SpLogoutRequest, 'sp' | 'binding' | 'requestId' | 'relayState'>,
  outcome: 'success' | 'partial' = 'success',
): DevIdpLogoutMessage {
  const binding = spSloUrl(request.sp, request.binding)
    ? request.binding
    : request.binding === 'post'
      ? 'redirect'
      : 'post';
  return buildIdpLogoutResponse(deps.issuer, {
    sp: request.sp,
    inResponseTo: request.requestId,
    binding,
    ...(request.relayState !== undefined ? { relayState: request.relayState } : {}),
    ...(outcome === 'partial' ? { statusSubCode: LOGOUT_STATUS.partialLogout } : {}),
  });
}

/** Records an SP's LogoutResponse that came back through the browser. */
export function recordSpLogoutResponse(
  deps: DevIdpLogoutDeps,
  response: SpLogoutResponse,
  now: Date,
): LogoutResponseRecord {
  const record: LogoutResponseRecord = {
    spEntityId: response.sp.entityId,
    binding: response.binding,
    ...(response.inResponseTo ? { inResponseTo: response.inResponseTo } : {}),
    statusCodes: response.statusCodes,
    verified: response.verified,
    receivedAt: now,
  };
  remember(deps.responses, record);
  return record;
}

/** Options of `DevIdp.logoutUser`. */
export interface LogoutUserOptions {
  /** Default 'redirect'. Redirect and POST messages are returned for a browser to carry; SOAP is sent here. */
  binding?: DevIdpLogoutBinding;
  /** Only this SP (default: every SP that took part in the user's sessions). */
  spEntityId?: string;
  relayState?: string;
  /** 'all' (default): every SessionIndex the SP holds for the user; 'none': no SessionIndex element. */
  sessionIndexes?: 'all' | 'none';
  overrides?: LogoutRequestOverrides;
  /** Build the requests only: end no IdP session and send nothing (SOAP included). For forging refusals. */
  dryRun?: boolean;
}

/** The SP's SOAP answer to a back-channel LogoutRequest. */
export interface SoapLogoutAnswer {
  httpStatus: number;
  body: string;
  /** The LogoutResponse in it, when there is one. */
  response?: { inResponseTo?: string; statusCodes: string[]; verified: boolean };
}

/** One LogoutRequest sent (SOAP) or to be carried by a browser (Redirect, POST). */
export interface IdpLogoutDispatch {
  spEntityId: string;
  requestId: string;
  message: DevIdpLogoutMessage;
  /** SOAP only, unless dryRun: what the SP answered. */
  soapAnswer?: SoapLogoutAnswer;
}

/** IdP-initiated logout of every session of `username` (see {@link LogoutUserOptions}). */
export async function logoutUser(
  deps: DevIdpLogoutDeps,
  username: string,
  options: LogoutUserOptions,
  now: Date,
): Promise<IdpLogoutDispatch[]> {
  const userSessions = deps.sessions.sessionsOf(username, now);
  // One request per SP: the NameID it was given, and the SessionIndex of each IdP session it took part in.
  const bySp = new Map<string, { nameId: string; sessionIndexes: string[] }>();
  for (const session of userSessions) {
    for (const p of session.participants.values()) {
      if (options.spEntityId !== undefined && p.spEntityId !== options.spEntityId) continue;
      const entry = bySp.get(p.spEntityId) ?? { nameId: p.nameId, sessionIndexes: [] };
      entry.sessionIndexes.push(p.sessionIndex);
      bySp.set(p.spEntityId, entry);
    }
  }
  if (!options.dryRun) for (const session of userSessions) deps.sessions.end(session.id);

  const binding = options.binding ?? 'redirect';
  const dispatches: IdpLogoutDispatch[] = [];
  for (const [spEntityId, entry] of bySp) {
    const sp = await deps.directory.find(spEntityId);
    if (!sp) continue;
    const { requestId, message } = buildIdpLogoutRequest(deps.issuer, {
      sp,
      nameId: entry.nameId,
      sessionIndexes: options.sessionIndexes === 'none' ? [] : entry.sessionIndexes,
      binding,
      ...(options.relayState !== undefined && binding !== 'soap' ? { relayState: options.relayState } : {}),
      ...(options.overrides ? { overrides: options.overrides } : {}),
    });
    const dispatch: IdpLogoutDispatch = { spEntityId, requestId, message };
    if (message.binding === 'soap' && !options.dryRun) {
      dispatch.soapAnswer = await sendSoap(deps, spEntityId, message, now);
    }
    dispatches.push(dispatch);
  }
  return dispatches;
}

/** POSTs a SOAP LogoutRequest to the SP and reads (and records) its LogoutResponse. */
export async function sendSoap(
  deps: DevIdpLogoutDeps,
  spEntityId: string,
  message: Extract<DevIdpLogoutMessage, { binding: 'soap' }>,
  now: Date,
): Promise<SoapLogoutAnswer> {
  const res = await fetch(message.url, {
    method: 'POST',
    headers: {
      'content-type': 'text/xml; charset=utf-8',
      soapaction: 'http://www.oasis-open.org/committees/security',
    },
    body: message.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.text();
  const answer: SoapLogoutAnswer = { httpStatus: res.status, body };
  let response: Element | undefined;
  try {
    const envelope = parseXml(body, { what: 'SOAP answer' }).documentElement!;
    const soapBody = childElements(envelope, NS.soap, 'Body')[0];
    response = soapBody ? childElements(soapBody, NS.protocol, 'LogoutResponse')[0] : undefined;
  } catch {
    return answer;
  }
  if (!response) return answer;
  const statusCodes: string[] = [];
  const status = childElements(response, NS.protocol, 'Status')[0];
  for (
    let code = status && childElements(status, NS.protocol, 'StatusCode')[0];
    code;
    code = childElements(code, NS.protocol, 'StatusCode')[0]
  ) {
    statusCodes.push(code.getAttribute('Value') ?? '');
  }
  let verified = false;
  const sp = await deps.directory.find(spEntityId);
  if (sp && statusCodes[0] === STATUS_SUCCESS) {
    const xml = new XMLSerializer().serializeToString(response);
    try {
      await withAnySigningEntity(sp, (entity) =>
        deps.read.idp.parseLogoutResponse(entity, 'post', {
          body: { SAMLResponse: Buffer.from(xml, 'utf8').toString('base64') },
        }),
      );
      verified = true;
    } catch {
      verified = false;
    }
  }
  const inResponseTo = response.getAttribute('InResponseTo') || undefined;
  answer.response = { ...(inResponseTo ? { inResponseTo } : {}), statusCodes, verified };
  remember(deps.responses, {
    spEntityId,
    binding: 'soap',
    ...(inResponseTo ? { inResponseTo } : {}),
    statusCodes,
    verified,
    receivedAt: now,
  });
  return answer;
}

function remember(list: LogoutResponseRecord[], record: LogoutResponseRecord): void {
  list.push(record);
  // A long-running `npm start` must not grow this without bound.
  if (list.length > 1000) list.splice(0, list.length - 1000);
}
