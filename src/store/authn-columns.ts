/**
 * The step-up facts of a pending request and a session travel as one nullable JSON text column (`authn`) in
 * SQLite and PostgreSQL and as one field in Redis: the same encoding everywhere, and NULL for the ordinary case
 * so an ordinary sign-in writes nothing more than before.
 */
import type { RequestAuthn, SessionAuthn } from './types.ts';

export function encodeRequestAuthn(authn: RequestAuthn | undefined): string | null {
  if (!authn || (!authn.forceAuthn && authn.maxAgeSeconds === undefined)) return null;
  return JSON.stringify({
    ...(authn.forceAuthn ? { forceAuthn: true } : {}),
    ...(authn.maxAgeSeconds !== undefined ? { maxAgeSeconds: authn.maxAgeSeconds } : {}),
  });
}

export function decodeRequestAuthn(value: unknown): { authn?: RequestAuthn } {
  if (typeof value !== 'string' || value === '') return {};
  const raw = JSON.parse(value) as { forceAuthn?: unknown; maxAgeSeconds?: unknown };
  return {
    authn: {
      ...(raw.forceAuthn === true ? { forceAuthn: true } : {}),
      ...(typeof raw.maxAgeSeconds === 'number' ? { maxAgeSeconds: raw.maxAgeSeconds } : {}),
    },
  };
}

export function encodeSessionAuthn(authn: SessionAuthn | undefined): string | null {
  if (!authn || (authn.instant === undefined && authn.contextClassRef === undefined)) return null;
  return JSON.stringify({
    ...(authn.instant ? { instant: authn.instant.toISOString() } : {}),
    ...(authn.contextClassRef !== undefined ? { contextClassRef: authn.contextClassRef } : {}),
  });
}

export function decodeSessionAuthn(value: unknown): { authn?: SessionAuthn } {
  if (typeof value !== 'string' || value === '') return {};
  const raw = JSON.parse(value) as { instant?: unknown; contextClassRef?: unknown };
  return {
    authn: {
      ...(typeof raw.instant === 'string' ? { instant: new Date(raw.instant) } : {}),
      ...(typeof raw.contextClassRef === 'string' ? { contextClassRef: raw.contextClassRef } : {}),
    },
  };
}
