// Two institutions side by side for cross-institution tests: two federated homeservers
// (startFederatedPair), each with its own bridge registered as its application service, the
// policies written for the pair's server names (each may name the other as a partner).
//
//   const pair = await startBridgePair({ policy: (own, other) => testPolicy(own, [other]) });
//   pair.a.bridge, pair.a.hs, pair.b.bridge, pair.b.hs
import { freePort } from './ports.ts';
import { startFederatedPair, type FederatedPair } from './federated-pair.ts';
import { prepareBridge, startBridge, type TestBridge } from './bridge.ts';
import type { TestHomeserver } from './homeserver.ts';

export interface Institution {
  hs: TestHomeserver;
  bridge: TestBridge;
  /** The bridge's bot user id. */
  bot: string;
}

export interface BridgePair {
  a: Institution;
  b: Institution;
  federation: FederatedPair;
  stop(): Promise<void>;
}

export async function startBridgePair(opts: {
  /** The policy of each side, given its own server name and the other's. */
  policy: (own: string, other: string, side: 'a' | 'b') => unknown;
  bridgeEnv?: Record<string, string>;
  homeserverEnv?: Record<string, string>;
  /** Extra homeserver flags for both sides (e.g. ['--log-level', 'debug']). */
  homeserverArgs?: string[];
}): Promise<BridgePair> {
  const ports: [number, number] = [await freePort(), await freePort()];
  const [nameA, nameB] = ports.map((p) => `localhost:${p}`) as [string, string];
  const [prepA, prepB] = await Promise.all([prepareBridge({ serverName: nameA }), prepareBridge({ serverName: nameB })]);
  const federation = await startFederatedPair({
    federationPorts: ports, extraArgsA: ['--appservice', prepA.registrationFile, ...(opts.homeserverArgs ?? [])], extraArgsB: ['--appservice', prepB.registrationFile, ...(opts.homeserverArgs ?? [])],
    ...(opts.homeserverEnv ? { env: opts.homeserverEnv } : {}),
  });
  const start = (hs: TestHomeserver, prepared: typeof prepA, other: TestHomeserver, side: 'a' | 'b'): Promise<TestBridge> => startBridge({
    homeserver: hs, prepared, policy: opts.policy(hs.serverName, other.serverName, side), admins: [`@admin:${hs.serverName}`],
    // Partner users sign in to this bridge with OpenID tokens checked on their own homeserver.
    federationEndpoints: { [other.serverName]: `https://127.0.0.1:${other.federationPort}` },
    ...(opts.bridgeEnv ? { env: opts.bridgeEnv } : {}),
  });
  const [bridgeA, bridgeB] = await Promise.all([
    start(federation.a, prepA, federation.b, 'a'),
    start(federation.b, prepB, federation.a, 'b'),
  ]);
  const institution = (hs: TestHomeserver, bridge: TestBridge): Institution => ({ hs, bridge, bot: `@${bridge.senderLocalpart}:${hs.serverName}` });
  return {
    a: institution(federation.a, bridgeA),
    b: institution(federation.b, bridgeB),
    federation,
    async stop() {
      await Promise.all([bridgeA.stop(), bridgeB.stop()]);
      await federation.stop();
      bridgeA.cleanup();
      bridgeB.cleanup();
    },
  };
}
