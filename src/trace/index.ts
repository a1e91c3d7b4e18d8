/**
 * The trace room's public module (issue #13): sign-in and logout traces, their IDs, the sealed raw capture
 * and the sweeper. Other rooms import from here, never from the files.
 */
export { type FailureFacts, failureFacts } from './failure.ts';
export { type MessageClaims, peekResponse } from './peek.ts';
export { type CaptureKey, captureKey, MAX_CAPTURE_MINUTES } from './raw-capture.ts';
export {
  checkTitle,
  DEFAULT_TRACE_MAX_COUNT,
  DEFAULT_TRACE_RETENTION_DAYS,
  DEFAULT_UNVERIFIED_TRACES_PER_MINUTE,
  type LogoutAttempt,
  TraceService,
  type TraceServiceOptions,
} from './service.ts';
export { startTraceSweeper } from './sweeper.ts';
export { newTraceId, normalizeTraceId } from './trace-id.ts';
export { type TraceView, type TraceViewOptions, traceView } from './view.ts';
