/**
 * One Keycloak for the whole e2e run: the SP's keys are generated into a temporary certs folder, the realm is
 * rendered for an SP at http://localhost:<spPort> with that certificate, and Keycloak (downloaded through Maven
 * on first use, cached in dev-idp/.cache) starts on another free port. Test files start the SP on spPort
 * (test/e2e/helpers.ts). Keycloak is stopped by its PID when the run ends, whatever happened.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { renderRealmForConfig } from '../../dev-idp/keycloak.ts';
import { ensureDistribution, findJdk } from '../../dev-idp/runner/distribution.ts';
import { fetchDescriptor, startKeycloak } from '../../dev-idp/runner/keycloak-server.ts';
import { loadConfig } from '../../src/config.ts';
import { freePort } from '../helpers/server.ts';

export interface E2eKeycloak {
  spPort: number;
  certsDir: string;
  keycloakUrl: string;
  realmUrl: string;
  descriptorXml: string;
  timings: { distributionMs: number; startupMs: number };
}

declare module 'vitest' {
  export interface ProvidedContext {
    keycloak: E2eKeycloak;
  }
}

const log = (line: string) => process.stderr.write(`e2e: ${line}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-kit-e2e-'));
  const certsDir = path.join(dir, 'certs');
  const spPort = await freePort();
  const keycloakPort = process.env.E2E_KEYCLOAK_PORT
    ? Number(process.env.E2E_KEYCLOAK_PORT)
    : await freePort();
  const config = loadConfig({ PORT: String(spPort), CERTS_DIR: certsDir }, { cwd: dir });
  const realmJson = await renderRealmForConfig(config);

  let started = Date.now();
  const home = await ensureDistribution({ log });
  const distributionMs = Date.now() - started;
  const jdk = await findJdk();
  log(
    `Keycloak distribution ready in ${(distributionMs / 1000).toFixed(1)} s; Java ${jdk.major} (${jdk.javaHome})`,
  );

  started = Date.now();
  const keycloak = await startKeycloak({
    home,
    javaHome: jdk.javaHome,
    realmJson,
    port: keycloakPort,
    logFile: path.join(path.dirname(home), 'keycloak-e2e.log'),
    // A loaded machine needs more than the runner's default 240 s for Keycloak's first start (augmentation):
    // 217-254 s were measured here with other work running. E2E_KEYCLOAK_TIMEOUT_MS overrides the 600 s.
    timeoutMs: Number(process.env.E2E_KEYCLOAK_TIMEOUT_MS ?? 600_000),
    log,
  }).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  const teardown = async () => {
    await keycloak.stop();
    await rm(dir, { recursive: true, force: true });
    log(`Keycloak (PID ${keycloak.pid}) stopped`);
  };
  try {
    const descriptorXml = await fetchDescriptor(keycloak.descriptorUrl);
    project.provide('keycloak', {
      spPort,
      certsDir,
      keycloakUrl: keycloak.url,
      realmUrl: keycloak.realmUrl,
      descriptorXml,
      timings: { distributionMs, startupMs: keycloak.startupMs },
    });
    log(
      `Keycloak ready in ${(keycloak.startupMs / 1000).toFixed(1)} s at ${keycloak.realmUrl} (log ${keycloak.logFile})`,
    );
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
