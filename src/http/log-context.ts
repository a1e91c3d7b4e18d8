/**
 * Fields every log line of one request carries, above all its trace ID: the sign-in trace (or refusal) that
 * support looks up is then one grep away from every line the request wrote. Kept in an AsyncLocalStorage
 * that {@link logContext} opens per request; {@link setTraceId} fills it where the request gets its trace ID
 * (the ACS trace, an error answer), and `createLogger` merges it into each line.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';

const storage = new AsyncLocalStorage<Record<string, unknown>>();

/** Express middleware: opens this request's log context. Mount it first. */
export function logContext() {
  return (_req: Request, _res: Response, next: NextFunction): void => withLogContext(next);
}

/** Runs `fn` in a fresh log context, as {@link logContext} runs the rest of a request (the server's fast path). */
export function withLogContext(fn: () => void): void {
  storage.run({}, fn);
}

/** Names the current request's trace ID in its log lines (no-op outside a request with a log context). */
export function setTraceId(traceId: string): void {
  const store = storage.getStore();
  if (store) store.traceId = traceId;
}

/** The current request's trace ID, if one was set. */
export function currentTraceId(): string | undefined {
  const id = storage.getStore()?.traceId;
  return typeof id === 'string' ? id : undefined;
}

/** The fields of the current request's log context (empty outside a request). */
export function currentLogFields(): Readonly<Record<string, unknown>> {
  return storage.getStore() ?? {};
}
