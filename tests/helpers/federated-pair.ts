// Two real homeservers that federate with each other over loopback HTTPS, each accepting the other's
// self-signed development certificate (and only that one).
import { freePort } from './ports.ts';
import { startHomeserver, type TestHomeserver } from './homeserver.ts';

export interface FederatedPair {
  a: TestHomeserver;
  b: TestHomeserver;
  stop(): Promise<void>;
}

export async function startFederatedPair(opts: { extraArgsA?: string[]; extraArgsB?: string[]; env?: Record<string, string>; federationPorts?: [number, number] } = {}): Promise<FederatedPair> {
  // Ports chosen beforehand when something must know the server names first (e.g. appservice registrations).
  const [portA, portB] = opts.federationPorts ?? [await freePort(), await freePort()];
  const nameA = `localhost:${portA}`;
  const nameB = `localhost:${portB}`;
  const [a, b] = await Promise.all([
    startHomeserver({ federationPort: portA, extraArgs: ['--federation-insecure-skip-verify-for', nameB, ...(opts.extraArgsA ?? [])], ...(opts.env ? { env: opts.env } : {}) }),
    startHomeserver({ federationPort: portB, extraArgs: ['--federation-insecure-skip-verify-for', nameA, ...(opts.extraArgsB ?? [])], ...(opts.env ? { env: opts.env } : {}) }),
  ]);
  return {
    a, b,
    async stop() {
      await Promise.all([a.stop(), b.stop()]);
      a.cleanup();
      b.cleanup();
    },
  };
}
