/**
 * The Redis stores on Redis as managed services run it (issue #11, item 6), on real processes this file
 * starts on 127.0.0.1: a three-master Redis Cluster, and a primary with a replica behind three Sentinels.
 * On each: the request-ID, replay, session and shared-state (state, throttle, locks) contracts, then a whole sign-in through the real server with
 * REDIS_URL in its Cluster or Sentinel form. Cluster refuses a script or MULTI whose keys span hash slots
 * (CROSSSLOT), so the contracts passing there is the proof of the key layout; Sentinel adds a failover.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import {
  openRedisStores,
  RedisKeys,
  RedisReplayCache,
  RedisRequestIdStore,
  RedisSessionStore,
  type RedisStores,
} from '../../src/store/redis/index.ts';
import { parseForm, TestBrowser } from '../helpers/browser.ts';
import {
  type RedisTopology,
  type SentinelTopology,
  startRedisCluster,
  startRedisSentinel,
  topologyUnavailable,
} from '../helpers/redis-topologies.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { Factory } from './harness.ts';
import { replayCacheContract } from './replay.contract.ts';
import { requestIdStoreContract } from './requests.contract.ts';
import { sessionStoreContract } from './sessions.contract.ts';
import { lockStoreContract, stateStoreContract, throttleStoreContract } from './shared-state.contract.ts';

const skip = topologyUnavailable() !== undefined;

/** Each test its own key prefix, so each gets an empty store on the shared topology. */
function factoryOn<K extends 'requests' | 'replay' | 'sessions' | 'state' | 'throttle' | 'locks'>(
  url: () => string,
  key: K,
): Factory<RedisStores[K]> {
  return async () => {
    const stores = await openRedisStores(url(), { keyPrefix: `test:${randomUUID()}:` });
    return { store: stores[key], close: () => stores.close() };
  };
}

function contracts(name: string, url: () => string): void {
  requestIdStoreContract(name, factoryOn(url, 'requests'));
  replayCacheContract(name, factoryOn(url, 'replay'));
  sessionStoreContract(name, factoryOn(url, 'sessions'));
  stateStoreContract(name, factoryOn(url, 'state'));
  throttleStoreContract(name, factoryOn(url, 'throttle'));
  lockStoreContract(name, factoryOn(url, 'locks'));
}

/**
 * The server's environment with everything that changes per sign-in in Redis: beside `memory:` the request
 * IDs, the replay cache and the sessions all live in Redis (a durable DATABASE_URL would keep some of them).
 */
function onlyRedis(url: string): Record<string, string> {
  return { REDIS_URL: url, DATABASE_URL: 'memory:' };
}

interface SignedIn {
  browser: TestBrowser;
  /** The ACS form the IdP returned, kept to replay it. */
  acsFields: Record<string, string>;
}

/** SP-initiated sign-in with the embedded IdP, to the end: the session cookie is in the browser. */
async function signIn(server: TestServer, username = 'alice'): Promise<SignedIn> {
  const browser = new TestBrowser();
  const start = await browser.get(`${server.baseUrl}/saml/dev/login?returnTo=/after`);
  expect(start.status).toBe(302);
  const loginPage = await browser.follow(start);
  const answer = await browser.submit(parseForm(loginPage), { username, password: `${username}-pass` });
  const acsForm = parseForm(answer);
  const landed = await browser.submit(acsForm);
  expect(landed.status).toBe(303);
  expect(landed.headers.get('location')).toBe('/after');
  return { browser, acsFields: acsForm.fields };
}

async function me(server: TestServer, browser: TestBrowser): Promise<number> {
  return (await browser.get(`${server.baseUrl}/me`, { accept: 'application/json' })).status;
}

/** The whole flow: sign in, /me, the same response refused as a replay, sign out. */
async function fullFlow(server: TestServer): Promise<void> {
  expect(server.server.stores.sessions).toBeInstanceOf(RedisSessionStore);
  expect(server.server.stores.replay).toBeInstanceOf(RedisReplayCache);
  expect(server.server.stores.requests).toBeInstanceOf(RedisRequestIdStore);
  const { browser, acsFields } = await signIn(server);
  const profile = await browser.get(`${server.baseUrl}/me`, { accept: 'application/json' });
  expect(profile.status).toBe(200);
  expect(JSON.parse(profile.body)).toMatchObject({ nameId: 'alice@example.com', connectionId: 'dev' });
  const replayed = await new TestBrowser().post(`${server.baseUrl}/saml/dev/acs`, acsFields, {
    accept: 'application/json',
  });
  expect(replayed.status).toBe(400);
  expect((JSON.parse(replayed.body) as { error: { code: string } }).error.code).toBe('SAML_REPLAYED');
  await browser.post(`${server.baseUrl}/logout`, {});
  expect(await me(server, browser)).toBe(401);
}

describe.skipIf(skip)('Redis Cluster: three masters', () => {
  let cluster: RedisTopology;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    const pids = cluster.nodes.map((n) => n.pid).join(', ');
    console.info(`Redis Cluster ready in ${cluster.startupMs} ms (pids ${pids})`);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  contracts('redis cluster', () => cluster.url);

  it('every key of one deployment hashes to the slot of its prefix; other prefixes use other slots', async () => {
    const slotOf = async (key: string) =>
      Number((await cluster.cli(cluster.nodes[0]?.port ?? 0, 'cluster', 'keyslot', key)).trim());
    const keys = new RedisKeys('saml-sp:');
    expect(keys.prefix).toBe('{saml-sp}:');
    const all = [
      keys.request('_r1'),
      keys.requestsOfBrowser('browser{1}'),
      keys.replay('assertion:_a}1{'),
      keys.session('s1'),
      keys.sessionsOfNameId('acme', 'alice{x}@acme.test'),
      keys.sessionsByExpiry(),
    ];
    const slots = new Set(await Promise.all(all.map(slotOf)));
    expect(slots.size).toBe(1);
    const others = await Promise.all(
      ['tenant-a:', 'tenant-b:', 'tenant-c:'].map((p) => slotOf(new RedisKeys(p).request('x'))),
    );
    expect(new Set([...slots, ...others]).size).toBe(4);
  });

  it('a deployment on REDIS_URL=redis+cluster://… signs in, refuses a replay and signs out', async () => {
    expect(loadConfig({ REDIS_URL: cluster.url }).redisUrl).toBe(cluster.url);
    const server = await startTestServer(onlyRedis(cluster.url));
    try {
      await fullFlow(server);
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(skip)('Redis Sentinel: a primary, a replica, three Sentinels', () => {
  let sentinel: SentinelTopology;
  beforeAll(async () => {
    sentinel = await startRedisSentinel();
    const pids = sentinel.nodes.map((n) => `${n.role} ${n.pid}`).join(', ');
    console.info(`Redis Sentinel ready in ${sentinel.startupMs} ms (${pids})`);
  });
  afterAll(async () => {
    await sentinel?.stop();
  });

  contracts('redis sentinel', () => sentinel.url);

  it('a deployment on REDIS_URL=redis+sentinel://…/name signs in, refuses a replay and signs out', async () => {
    const server = await startTestServer(onlyRedis(sentinel.url));
    try {
      await fullFlow(server);
    } finally {
      await server.close();
    }
  });

  // Last in this block: it kills the primary.
  it('after kill -9 of the primary, Sentinel promotes the replica and sign-in resumes; replicated state holds', async () => {
    const server = await startTestServer(onlyRedis(sentinel.url));
    try {
      const before = await signIn(server);
      // Make sure the replica has everything (the session, the replay key) before the crash: WAIT returns
      // the number of replicas that acknowledged the writes so far.
      expect((await sentinel.cli(sentinel.master.port, 'wait', '1', '2000')).trim()).toBe('1');
      await sentinel.master.kill();
      const killedAt = performance.now();
      let promotedMs = 0;
      for (;;) {
        if ((await sentinel.currentMaster()) === sentinel.replica.port) {
          promotedMs = Math.round(performance.now() - killedAt);
          break;
        }
        if (performance.now() - killedAt > 30_000) throw new Error('Sentinel did not fail over within 30 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // The client learns the new primary from the Sentinels; give it a few seconds to switch.
      let resumedMs = 0;
      for (;;) {
        try {
          await signIn(server, 'bob');
          resumedMs = Math.round(performance.now() - killedAt);
          break;
        } catch (error) {
          if (performance.now() - killedAt > promotedMs + 15_000) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      console.info(
        `Sentinel failover: promoted after ${promotedMs} ms, sign-in resumed after ${resumedMs} ms`,
      );
      // The session and the replay record were replicated before the crash: both survive the failover.
      expect(await me(server, before.browser)).toBe(200);
      const replayed = await new TestBrowser().post(`${server.baseUrl}/saml/dev/acs`, before.acsFields, {
        accept: 'application/json',
      });
      expect(replayed.status).toBe(400);
      expect((JSON.parse(replayed.body) as { error: { code: string } }).error.code).toBe('SAML_REPLAYED');
    } finally {
      await server.close();
    }
  }, 90_000);
});
