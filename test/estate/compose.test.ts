/**
 * The estate in docker-compose.yml (checked, not run: no Docker engine on the project's machines). Each app is
 * its own service, reading the realm's estate clients from the same environment schema the runner validates,
 * inside Keycloak's network namespace so that Keycloak's back-channel logout reaches http://localhost:3002.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REALM } from '../../dev-idp/runner/realm.ts';
import { ESTATE_APPS, EstateEnv } from '../../examples/estate/estate.ts';

const text = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');

/** The block of one top-level service, up to the next one. */
function service(name: string): string {
  const start = text.indexOf(`\n  ${name}:\n`);
  if (start < 0) throw new Error(`no service ${name} in docker-compose.yml`);
  const rest = text.slice(start + 1);
  const next = rest.slice(1).search(/\n {2}[a-z][\w-]*:\n|\nvolumes:\n/);
  return next < 0 ? rest : rest.slice(0, next + 1);
}

/** The ESTATE_* variables written out in a service block. */
function envOf(block: string): Record<string, string> {
  return Object.fromEntries([...block.matchAll(/^ {6}(ESTATE_[A-Z_]+): (\S+)$/gm)].map((m) => [m[1], m[2]]));
}

describe('docker-compose.yml: the estate', () => {
  for (const spec of ESTATE_APPS) {
    it(`runs ${spec.name} alone, in Keycloak's network, against the realm's descriptor`, () => {
      const block = service(spec.name);
      expect(block).toContain('command: node examples/estate/main.ts');
      expect(block).toContain('network_mode: service:keycloak');
      expect(block).toMatch(/condition: service_healthy/);
      // billing takes website's variables through a YAML merge key (<<: *estate-environment) and overrides one.
      const parsed = EstateEnv.parse({ ...envOf(service('website')), ...envOf(block) });
      expect(parsed.ESTATE_APPS).toEqual([spec.name]);
      expect(parsed.ESTATE_HOST).toBe('0.0.0.0');
      expect(parsed.ESTATE_IDP_METADATA_URL).toBe(
        `http://localhost:8080/realms/${REALM}/protocol/saml/descriptor`,
      );
    });
  }

  it("publishes the apps' default ports on Keycloak's service, on 127.0.0.1", () => {
    const keycloak = service('keycloak');
    for (const spec of ESTATE_APPS) {
      expect(keycloak).toContain(`- "127.0.0.1:${spec.defaultPort}:${spec.defaultPort}"`);
    }
  });
});
