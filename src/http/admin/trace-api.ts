/**
 * The trace calls of the admin API (issue #13), behind the same bearer token as the rest:
 *
 *   GET    /traces/:traceId                       one trace (?raw=1 opens a captured raw message)
 *   GET    /traces?connectionId=&outcome=&limit=  newest first
 *   GET    /traces/capture/:connectionId          whether raw capture is on, and until when
 *   PUT    /traces/capture/:connectionId          { minutes } (1 to 1440): keep raw messages, sealed
 *   DELETE /traces/capture/:connectionId          stop capturing
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import { AdminError } from '../../sp/admin-errors.ts';
import type { ConnectionService } from '../../sp/connection-service.ts';
import { MAX_CAPTURE_MINUTES, normalizeTraceId, type TraceService, traceView } from '../../trace/index.ts';
import type { Logger } from '../logger.ts';

const listQuery = z.object({
  connectionId: z.string().min(1).max(300).optional(),
  outcome: z.enum(['failed', 'succeeded']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

const captureBody = z.object({ minutes: z.number().int().min(1).max(MAX_CAPTURE_MINUTES) }).strict();

/** Mounted inside the admin API router (after its bearer check and JSON parser). */
export function traceApi(options: {
  traces: TraceService;
  connections: ConnectionService;
  logger: Logger;
}): Router {
  const { traces, connections, logger } = options;
  const router = express.Router();

  router.get('/traces', async (req, res) => {
    const query = parse(listQuery, req.query, 'query');
    const list = await traces.list({
      ...(query.connectionId ? { connectionId: query.connectionId } : {}),
      ...(query.outcome ? { outcome: query.outcome } : {}),
      ...(query.limit ? { limit: query.limit } : {}),
    });
    res.json(list.map((t) => traceView(t, traces)));
  });

  router.get('/traces/capture/:connectionId', async (req, res) => {
    const connection = await connections.get(req.params.connectionId as string);
    const until = await traces.captureUntil(connection.id);
    res.json({ connectionId: connection.id, capturing: !!until, until: until?.toISOString() ?? null });
  });

  router.put('/traces/capture/:connectionId', async (req, res) => {
    const connection = await connections.get(req.params.connectionId as string);
    const { minutes } = parse(captureBody, req.body, 'body');
    const until = await traces.startCapture(connection.id, minutes);
    logger.info('admin.trace_capture_started', { connectionId: connection.id, until: until.toISOString() });
    res.json({ connectionId: connection.id, capturing: true, until: until.toISOString() });
  });

  router.delete('/traces/capture/:connectionId', async (req, res) => {
    const connection = await connections.get(req.params.connectionId as string);
    await traces.stopCapture(connection.id);
    logger.info('admin.trace_capture_stopped', { connectionId: connection.id });
    res.json({ connectionId: connection.id, capturing: false, until: null });
  });

  router.get('/traces/:traceId', async (req, res) => {
    const trace = await findTrace(traces, req.params.traceId);
    if (req.query.raw === '1' && trace.rawMessage) {
      logger.info('admin.trace_raw_opened', { traceId: trace.traceId, via: 'api' });
    }
    res.json(traceView(trace, traces, { raw: req.query.raw === '1' }));
  });

  return router;
}

/** The trace behind an ID as someone typed it, or ADMIN_NOT_FOUND. */
export async function findTrace(traces: TraceService, input: unknown) {
  const traceId = normalizeTraceId(input);
  const trace = traceId ? await traces.get(traceId) : undefined;
  if (!trace) {
    throw new AdminError('ADMIN_NOT_FOUND', `No trace "${String(input).slice(0, 40)}".`, {
      hint: `Trace IDs look like K7QM4-XD2PA. Traces are kept for ${traces.retentionDays} days.`,
      status: 404,
    });
  }
  return trace;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`).join('; ');
    throw new AdminError('ADMIN_INVALID_REQUEST', `Invalid ${what}: ${problems}.`, { status: 400 });
  }
  return parsed.data;
}
