/** Resolves the signed-in user from the session cookie, once per request. */
import type { Request } from 'express';
import type { UserRecord } from '../core/types.ts';
import type { ServiceProvider } from '../sp/service-provider.ts';
import { looksLikeToken } from '../sp/tokens.ts';
import type { SessionRecord } from '../store/types.ts';
import { readCookie } from './cookies.ts';

export interface CurrentSession {
  token: string;
  session: SessionRecord;
  user: UserRecord;
}

const cache = new WeakMap<Request, Promise<CurrentSession | undefined>>();

/** The live session of this request's cookie, or undefined. Junk cookies never reach the store. */
export function currentSession(
  sp: ServiceProvider,
  req: Request,
  cookieName: string,
): Promise<CurrentSession | undefined> {
  let found = cache.get(req);
  if (!found) {
    found = load(sp, req, cookieName);
    cache.set(req, found);
  }
  return found;
}

async function load(
  sp: ServiceProvider,
  req: Request,
  cookieName: string,
): Promise<CurrentSession | undefined> {
  const token = readCookie(req, cookieName);
  if (!looksLikeToken(token)) return undefined;
  const found = await sp.session(token);
  if (!found?.user) return undefined;
  return { token, session: found.session, user: found.user };
}
