/**
 * docker-compose.yml: no Docker engine runs on the project's machines, so the file is checked, not run. The
 * native runner (test/e2e/) is the tested path; these checks keep the compose file valid and in step with it.
 * The syntax check needs Debian's docker-compose (installed by .ci/run), and is skipped where it is missing.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { KEYCLOAK_VERSION } from '../../dev-idp/runner/distribution.ts';
import { REALM } from '../../dev-idp/runner/realm.ts';

const FILE = new URL('../../docker-compose.yml', import.meta.url);
const text = readFileSync(FILE, 'utf8');

function hasDockerCompose(): boolean {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('docker-compose.yml', () => {
  it('pins the Keycloak image to the version the native runner downloads', () => {
    expect(text).toContain(`image: keycloak/keycloak:${KEYCLOAK_VERSION}\n`);
  });

  it('binds every published port to 127.0.0.1', () => {
    const published = [...text.matchAll(/^\s+- "([^"]+:\d+:\d+)"$/gm)].map((m) => m[1]);
    expect(published.length).toBeGreaterThanOrEqual(2);
    for (const port of published) expect(port).toMatch(/^127\.0\.0\.1:/);
  });

  it('imports the rendered realm read-only and waits for its descriptor', () => {
    expect(text).toContain('keycloak-realm:/opt/keycloak/data/import:ro');
    expect(text).toMatch(/"start-dev", "--import-realm"/);
    expect(text).toContain(`/realms/${REALM}/protocol/saml/descriptor`);
  });

  it.skipIf(!hasDockerCompose())('is valid for docker-compose (docker-compose config)', async () => {
    const { stdout } = await promisify(execFile)('docker-compose', ['-f', FILE.pathname, 'config']);
    expect(stdout).toContain(`image: keycloak/keycloak:${KEYCLOAK_VERSION}`);
    expect(stdout).toContain('condition: service_completed_successfully');
    expect(stdout).toContain('condition: service_healthy');
  });
});
