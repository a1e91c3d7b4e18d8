/**
 * The pieces of Single Logout propagation that HTTP tests cannot reach easily: the option check, the chain
 * store's one-answer-from-the-right-SP rule, and how ended sessions become one notice per SP.
 * (The flows themselves run over HTTP in test/estate/.)
 */
import { describe, expect, it } from 'vitest';
import { createDevIdp, type LogoutPropagation } from '../../src/dev-idp/index.ts';
import { LogoutChainStore, noticesFor } from '../../src/dev-idp/logout-propagation.ts';
import { IdpSessionStore } from '../../src/dev-idp/sessions.ts';
import { parseForm, TestBrowser } from '../helpers/browser.ts';
import { authnRequestXml, KEYS, redirectUrl, requestId, spMetadataFixture, startDevIdp } from './helpers.ts';

const now = new Date('2026-01-01T00:00:00Z');

describe('logoutPropagation option', () => {
  it('accepts front-channel, back-channel and off, and refuses anything else with a TypeError', () => {
    for (const mode of ['front-channel', 'back-channel', 'off'] as const) {
      expect(() =>
        createDevIdp({
          baseUrl: 'http://localhost/idp',
          signing: KEYS.idp,
          serviceProviders: () => [],
          logoutPropagation: mode,
        }),
      ).not.toThrow();
    }
    expect(() =>
      createDevIdp({
        baseUrl: 'http://localhost/idp',
        signing: KEYS.idp,
        serviceProviders: () => [],
        logoutPropagation: 'soap' as LogoutPropagation,
      }),
    ).toThrow(TypeError);
  });
});

describe('LogoutChainStore', () => {
  const chain = { queue: [], unconfirmed: [] };

  it('hands a chain back once, only for the SP the request went to', () => {
    const store = new LogoutChainStore();
    store.wait('_r1', 'https://billing', chain, now);
    expect(store.take('_r1', 'https://website', now)).toBeUndefined();
    expect(store.take(undefined, 'https://billing', now)).toBeUndefined();
    expect(store.take('_r1', 'https://billing', now)).toBe(chain);
    expect(store.take('_r1', 'https://billing', now)).toBeUndefined();
  });

  it('forgets a chain whose answer comes too late', () => {
    const store = new LogoutChainStore(60);
    store.wait('_r2', 'https://billing', chain, now);
    expect(store.take('_r2', 'https://billing', new Date(now.getTime() + 61_000))).toBeUndefined();
  });
});

describe('noticesFor', () => {
  it('gives each SP one notice with every SessionIndex it holds, leaving out the initiator', () => {
    const sessions = new IdpSessionStore();
    const a = sessions.create('alice', now);
    const b = sessions.create('alice', now);
    const web1 = sessions.join(a, 'https://website', 'alice@example.com', now);
    sessions.join(a, 'https://billing', 'alice@example.com', now);
    const web2 = sessions.join(b, 'https://website', 'alice@example.com', now);
    expect(noticesFor([a, b], 'https://billing')).toEqual([
      {
        spEntityId: 'https://website',
        nameId: 'alice@example.com',
        sessionIndexes: [web1.sessionIndex, web2.sessionIndex],
      },
    ]);
    expect(noticesFor([a]).map((n) => n.spEntityId)).toEqual(['https://website', 'https://billing']);
  });
});

describe('sign-out at the IdP with an SP that has no SingleLogoutService', () => {
  it('ends the IdP session and names the SP that could not be told', async () => {
    const sp = 'https://no-slo.example.test/sp';
    const running = await startDevIdp([spMetadataFixture({ entityId: sp, acsUrls: [`${sp}/acs`] })]);
    try {
      const browser = new TestBrowser();
      const sso = `${running.baseUrl}/sso`;
      const xml = authnRequestXml({ id: requestId(), issuer: sp, destination: sso });
      const login = parseForm(await browser.get(redirectUrl(sso, xml, { key: KEYS.sp })));
      await browser.submit(login, { username: 'alice', password: 'alice-pass' });
      const out = await browser.get(`${running.baseUrl}/logout`);
      expect(out.status).toBe(200);
      expect(out.body).toContain('did not confirm');
      expect(out.body).toContain(sp);
      expect(running.idp.sessionsOf('alice')).toEqual([]);
    } finally {
      await running.close();
    }
  });
});
