/**
 * Single Logout propagation, as a real IdP does it (SAML profiles §4.4.3): when a logout ends an IdP session,
 * every SP that took part in it is told, and only then does the SP that started it get its LogoutResponse:
 * Success when every other SP confirmed, Success / PartialLogout when one did not.
 *
 * - front-channel: through the browser, one SP after another. The IdP redirects (or auto-posts) the browser to
 *   the next SP's SingleLogoutService; that SP ends its session and answers with a LogoutResponse to the IdP's
 *   /slo, where the chain is found again by the response's InResponseTo, and the browser goes on to the next SP.
 *   The last step answers the initiator (or, when the user signed out at the IdP itself, shows the IdP's page).
 * - back-channel: SOAP, server to server, to every other SP at once while the initiator's request waits; then
 *   the initiator's answer goes back through the browser. No cookie of the user reaches the other SPs.
 *
 * A chain is keyed by the IDs of the LogoutRequests it sent, each waiting for one answer from one SP: only a
 * LogoutResponse from that SP naming that request moves it on, once. It counts as a confirmation only when it
 * is a plain Success signed by that SP (samlify verifies Success answers in logout-read.ts); an SP without a
 * usable SLO endpoint, or whose answer is anything else, is "unconfirmed" and the initiator hears PartialLogout.
 */
import { LOGOUT_STATUS } from '../core/logout/logout-response.ts';
import { answerSpLogout, type DevIdpLogoutDeps, sendSoap } from './logout.ts';
import { buildIdpLogoutRequest, type DevIdpLogoutMessage, spSloUrl } from './logout-messages.ts';
import type { SpLogoutRequest, SpLogoutResponse } from './logout-read.ts';
import type { KnownServiceProvider } from './service-providers.ts';
import type { IdpSession } from './sessions.ts';

/** How the dev IdP tells the other participants of a session that ended. */
export type LogoutPropagation = 'front-channel' | 'back-channel' | 'off';

/** The accepted values of {@link LogoutPropagation}, for option checks. */
export const LOGOUT_PROPAGATIONS: readonly LogoutPropagation[] = ['front-channel', 'back-channel', 'off'];

/** One SP to tell: the NameID it was given, and the SessionIndex of each ended IdP session it took part in. */
export interface LogoutNotice {
  spEntityId: string;
  nameId: string;
  sessionIndexes: string[];
}

/** The SP whose LogoutRequest waits for its answer while the others are told. */
export type LogoutInitiator = Pick<SpLogoutRequest, 'sp' | 'binding' | 'requestId' | 'relayState'>;

/** What the browser does next. */
export type PropagationStep =
  /** Carry this message: a LogoutRequest to the next SP, or the final LogoutResponse to the initiator. */
  | { kind: 'message'; message: DevIdpLogoutMessage }
  /** Nobody is waiting for an answer (the user signed out at the IdP): show the IdP's signed-out page. */
  | { kind: 'done'; unconfirmed: string[] };

interface LogoutChain {
  initiator?: LogoutInitiator;
  queue: LogoutNotice[];
  /** Entity IDs of the SPs that did not confirm. */
  unconfirmed: string[];
}

interface AwaitedAnswer {
  spEntityId: string;
  chain: LogoutChain;
  expiresAt: Date;
}

/** Front-channel chains waiting for an SP's LogoutResponse, by the ID of the LogoutRequest it answers. */
export class LogoutChainStore {
  readonly #awaiting = new Map<string, AwaitedAnswer>();
  readonly #lifetimeMs: number;

  constructor(lifetimeSeconds = 10 * 60) {
    this.#lifetimeMs = lifetimeSeconds * 1000;
  }

  wait(requestId: string, spEntityId: string, chain: LogoutChain, now: Date): void {
    for (const [id, entry] of this.#awaiting) if (entry.expiresAt <= now) this.#awaiting.delete(id);
    // A flood of abandoned chains must not grow memory without bound: the oldest go first.
    for (const id of this.#awaiting.keys()) {
      if (this.#awaiting.size < 10_000) break;
      this.#awaiting.delete(id);
    }
    this.#awaiting.set(requestId, {
      spEntityId,
      chain,
      expiresAt: new Date(now.getTime() + this.#lifetimeMs),
    });
  }

  /** The chain waiting for `spEntityId`'s answer to `requestId`, consumed; undefined for any other message. */
  take(requestId: string | undefined, spEntityId: string, now: Date): LogoutChain | undefined {
    if (requestId === undefined) return undefined;
    const entry = this.#awaiting.get(requestId);
    if (!entry || entry.spEntityId !== spEntityId) return undefined;
    this.#awaiting.delete(requestId);
    return entry.expiresAt > now ? entry.chain : undefined;
  }
}

/** What propagation works with; createDevIdp wires it. */
export interface LogoutPropagationDeps {
  logout: DevIdpLogoutDeps;
  mode: LogoutPropagation;
  chains: LogoutChainStore;
}

/** The SPs to tell about ended sessions, one notice per SP, leaving out `exceptSpEntityId` (the initiator). */
export function noticesFor(ended: readonly IdpSession[], exceptSpEntityId?: string): LogoutNotice[] {
  const bySp = new Map<string, LogoutNotice>();
  for (const session of ended) {
    for (const p of session.participants.values()) {
      if (p.spEntityId === exceptSpEntityId) continue;
      const notice = bySp.get(p.spEntityId) ?? {
        spEntityId: p.spEntityId,
        nameId: p.nameId,
        sessionIndexes: [],
      };
      notice.sessionIndexes.push(p.sessionIndex);
      bySp.set(p.spEntityId, notice);
    }
  }
  return [...bySp.values()];
}

/**
 * Tells the SPs in `notices` over the configured channel, then answers the initiator. With 'off', or nobody to
 * tell, the initiator is answered Success at once.
 */
export async function propagateLogout(
  deps: LogoutPropagationDeps,
  input: { initiator?: LogoutInitiator; notices: LogoutNotice[] },
  now: Date,
): Promise<PropagationStep> {
  const chain: LogoutChain = {
    ...(input.initiator ? { initiator: input.initiator } : {}),
    queue: deps.mode === 'off' ? [] : [...input.notices],
    unconfirmed: [],
  };
  if (deps.mode === 'back-channel') {
    const confirmed = await Promise.all(chain.queue.map((notice) => tellOverSoap(deps.logout, notice, now)));
    chain.unconfirmed = chain.queue.filter((_, i) => !confirmed[i]).map((n) => n.spEntityId);
    chain.queue = [];
  }
  return nextStep(deps, chain, now);
}

/**
 * An SP's LogoutResponse at /slo: when it answers a request of a front-channel chain, records whether the SP
 * confirmed and returns the chain's next step; undefined when it belongs to no chain.
 */
export async function continueLogout(
  deps: LogoutPropagationDeps,
  response: SpLogoutResponse,
  now: Date,
): Promise<PropagationStep | undefined> {
  const chain = deps.chains.take(response.inResponseTo, response.sp.entityId, now);
  if (!chain) return undefined;
  if (!confirms(response.statusCodes, response.verified)) chain.unconfirmed.push(response.sp.entityId);
  return nextStep(deps, chain, now);
}

async function nextStep(
  deps: LogoutPropagationDeps,
  chain: LogoutChain,
  now: Date,
): Promise<PropagationStep> {
  for (let notice = chain.queue.shift(); notice; notice = chain.queue.shift()) {
    const sp = await deps.logout.directory.find(notice.spEntityId);
    const binding = sp && frontChannelBinding(sp);
    if (!sp || !binding) {
      chain.unconfirmed.push(notice.spEntityId);
      continue;
    }
    const { requestId, message } = buildIdpLogoutRequest(deps.logout.issuer, {
      sp,
      nameId: notice.nameId,
      sessionIndexes: notice.sessionIndexes,
      binding,
    });
    deps.chains.wait(requestId, sp.entityId, chain, now);
    return { kind: 'message', message };
  }
  if (!chain.initiator) return { kind: 'done', unconfirmed: chain.unconfirmed };
  const outcome = chain.unconfirmed.length === 0 ? 'success' : 'partial';
  return { kind: 'message', message: answerSpLogout(deps.logout, chain.initiator, outcome) };
}

/** Redirect when the SP's metadata offers it (the lighter hop), else POST; undefined without either. */
function frontChannelBinding(sp: KnownServiceProvider): 'redirect' | 'post' | undefined {
  if (spSloUrl(sp, 'redirect')) return 'redirect';
  return spSloUrl(sp, 'post') ? 'post' : undefined;
}

/** Sends one SOAP LogoutRequest; true when the SP answered a signed plain Success to that request. */
async function tellOverSoap(deps: DevIdpLogoutDeps, notice: LogoutNotice, now: Date): Promise<boolean> {
  const sp = await deps.directory.find(notice.spEntityId);
  if (!sp || !spSloUrl(sp, 'soap')) return false;
  const { requestId, message } = buildIdpLogoutRequest(deps.issuer, {
    sp,
    nameId: notice.nameId,
    sessionIndexes: notice.sessionIndexes,
    binding: 'soap',
  });
  if (message.binding !== 'soap') return false;
  try {
    const answer = await sendSoap(deps, sp.entityId, message, now);
    const response = answer.response;
    return (
      response !== undefined &&
      response.inResponseTo === requestId &&
      confirms(response.statusCodes, response.verified)
    );
  } catch {
    // Down, slow (sendSoap gives up after 10 s) or not speaking SOAP: that SP did not confirm.
    return false;
  }
}

function confirms(statusCodes: readonly string[], verified: boolean): boolean {
  return (
    verified && statusCodes[0] === LOGOUT_STATUS.success && !statusCodes.includes(LOGOUT_STATUS.partialLogout)
  );
}
