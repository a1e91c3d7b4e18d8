/** The estate example (examples/estate) on free ports of 127.0.0.1, as `npm run estate` starts it. */

import { type RunningEstate, startEstate } from '../../examples/estate/main.ts';
import type { LogoutPropagation } from '../../src/dev-idp/index.ts';
import { freePort } from '../helpers/server.ts';

export interface TestEstate extends RunningEstate {
  url: { idp: string; website: string; billing: string };
}

export async function startTestEstate(logoutPropagation: LogoutPropagation): Promise<TestEstate> {
  const ports = new Set<number>();
  while (ports.size < 3) ports.add(await freePort());
  const [idp, website, billing] = [...ports] as [number, number, number];
  const estate = await startEstate({
    ports: { idp, website, billing },
    idp: { kind: 'embedded', logoutPropagation },
  });
  return {
    ...estate,
    url: {
      idp: `http://localhost:${idp}`,
      website: `http://localhost:${website}`,
      billing: `http://localhost:${billing}`,
    },
  };
}
