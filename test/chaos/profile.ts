/**
 * How long and how hard the chaos test runs. CHAOS_PROFILE=long (`npm run chaos`) or short (the default;
 * `npm run chaos:short`, run by .ci/run, under 3 minutes on a busy 2-core machine).
 */
export interface Profile {
  name: 'short' | 'long';
  /** Concurrent sign-in loops (the bound on the load). */
  workers: number;
  /** Distinct users the load signs in. */
  users: number;
  /** Users whose first sign-in is raced on both instances at once. */
  racedUsers: number;
  baselineMs: number;
  beforeFaultMs: number;
  /** How long a store (or instance B) stays down. */
  outageMs: number;
  afterFaultMs: number;
  /** How long recovery probes keep trying before they give up (the limit asserted is 2 s). */
  recoveryDeadlineMs: number;
  sessionSample: number;
  replaySample: number;
  /** Slow connections per instance. */
  slowClients: number;
  /** HTTP_REQUEST_TIMEOUT_MS given to the instances. */
  requestTimeoutMs: number;
  scenarioTimeoutMs: number;
}

const SHORT: Profile = {
  name: 'short',
  workers: 3,
  users: 30,
  racedUsers: 6,
  baselineMs: 3_000,
  beforeFaultMs: 1_500,
  outageMs: 2_000,
  afterFaultMs: 2_000,
  recoveryDeadlineMs: 10_000,
  sessionSample: 8,
  replaySample: 8,
  slowClients: 5,
  requestTimeoutMs: 3_000,
  scenarioTimeoutMs: 150_000,
};

const LONG: Profile = {
  name: 'long',
  workers: 8,
  users: 400,
  racedUsers: 50,
  baselineMs: 30_000,
  beforeFaultMs: 10_000,
  outageMs: 10_000,
  afterFaultMs: 20_000,
  recoveryDeadlineMs: 30_000,
  sessionSample: 100,
  replaySample: 100,
  slowClients: 50,
  requestTimeoutMs: 10_000,
  scenarioTimeoutMs: 900_000,
};

export function profileFromEnv(env: NodeJS.ProcessEnv = process.env): Profile {
  const name = env.CHAOS_PROFILE ?? 'short';
  if (name === 'short') return SHORT;
  if (name === 'long') return LONG;
  throw new Error(`CHAOS_PROFILE must be "short" or "long"; got "${name}"`);
}
