// The bridge keeps idle kept-alive connections longer than clients and proxies do (they close first),
// so reusing one never races the server closing it — under load that race showed as "socket hang up".
import { request, Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHomeserver } from '../helpers/homeserver.ts';
import { startHomeserverWithBridge, testPolicy, type TestBridge } from '../helpers/bridge.ts';

function get(agent: Agent, url: string): Promise<{ status: number; localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, localPort: req.socket?.localPort ?? -1 }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('bridge connection keep-alive', () => {
  let hs: TestHomeserver;
  let bridge: TestBridge;

  beforeAll(async () => {
    ({ hs, bridge } = await startHomeserverWithBridge({ policy: (name) => testPolicy(name) }));
  });

  afterAll(async () => {
    await bridge?.stop();
    await hs?.stop();
    bridge?.cleanup();
    hs?.cleanup();
  });

  it('keeps an idle connection open past Node\'s 5-second default, so a client reusing it is answered', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(agent, `${bridge.url}/health`);
      // Idle longer than Node's default keepAliveTimeout (5 s), shorter than a proxy's usual 60 s.
      await new Promise((r) => setTimeout(r, 6_000));
      const second = await get(agent, `${bridge.url}/health`);
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.localPort).toBe(first.localPort);
    } finally {
      agent.destroy();
    }
  });
});
