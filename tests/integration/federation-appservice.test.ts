// An application service hears of invites that arrive over federation for its users, as Synapse
// tells it: the partner bridge's bot is invited from another institution's server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, type RegisteredUser } from '../helpers/homeserver.ts';
import { startFederatedPair, type FederatedPair } from '../helpers/federated-pair.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/client.ts';

interface AsEvent { type: string; room_id: string; state_key?: string; content: Record<string, unknown>; sender: string }

describe('application services and federation', () => {
  let pair: FederatedPair;
  let server: Server;
  let alice: RegisteredUser;
  const received: AsEvent[] = [];
  const HS_TOKEN = 'hs-token-federation-test';

  beforeAll(async () => {
    const port = await freePort();
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => { raw += c.toString(); });
      req.on('end', () => {
        if (req.headers.authorization === `Bearer ${HS_TOKEN}` && req.method === 'PUT' && req.url?.startsWith('/_matrix/app/v1/transactions/')) {
          received.push(...(JSON.parse(raw) as { events: AsEvent[] }).events);
        }
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'peerline-as-'));
    const reg = join(dir, 'bot.yaml');
    writeFileSync(reg, [
      'id: partner-bridge', `url: http://127.0.0.1:${port}`, 'as_token: as-token-federation-test', `hs_token: ${HS_TOKEN}`,
      'sender_localpart: bot-peer', 'rate_limited: false', 'namespaces:', '  users:', '    - exclusive: true', "      regex: '@bot-.*'", '  aliases: []', '  rooms: []', '',
    ].join('\n'));
    pair = await startFederatedPair({ extraArgsB: ['--appservice', reg] });
    alice = await pair.a.registerUser('alice');
  });
  afterAll(async () => {
    await pair?.stop();
    await new Promise<void>((r) => server?.close(() => r()));
  });

  it('delivers an invite from another server to the appservice whose user was invited', async () => {
    const bot = `@bot-peer:${pair.b.serverName}`;
    const room = await api<{ room_id: string }>(pair.a, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { invite: [bot] } });
    expect(room.status, JSON.stringify(room.body)).toBe(200);
    const invite = await waitFor('the invite at the appservice', () => received.find((e) => e.type === 'm.room.member' && e.state_key === bot && e.room_id === room.body.room_id), 15_000);
    expect(invite.content['membership']).toBe('invite');
    expect(invite.sender).toBe(alice.userId);
  });
});
