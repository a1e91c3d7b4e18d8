/** Who sent a request, for its trace: the address as TRUST_PROXY lets Express read it, and the user agent. */
import type { Request } from 'express';
import type { ClientFacts } from '../sp/service-provider.ts';

export function clientFacts(req: Request): ClientFacts {
  const userAgent = req.get('user-agent');
  return { ...(req.ip ? { ip: req.ip } : {}), ...(userAgent ? { userAgent } : {}) };
}
