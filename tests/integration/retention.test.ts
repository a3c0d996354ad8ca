// Message retention: a room with m.room.retention loses the content of events older than its
// max_lifetime (from clients and from the database), while newer events and the room's state stay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { waitFor } from '../helpers/client.ts';

describe('message retention (m.room.retention)', () => {
  let hs: TestHomeserver;
  let alice: RegisteredUser;

  beforeAll(async () => {
    hs = await startHomeserver({ serverName: 'retention.localhost', extraArgs: ['--retention-interval-ms', '200'] });
    alice = await hs.registerUser('alice');
  });
  afterAll(async () => {
    await hs?.stop();
    hs?.cleanup();
  });

  it('prunes the content of events past max_lifetime and keeps newer ones and the state', async () => {
    const room = await api<{ room_id: string }>(hs, 'POST', '/_matrix/client/v3/createRoom', {
      token: alice.accessToken,
      body: { name: 'Retained', initial_state: [{ type: 'm.room.retention', state_key: '', content: { max_lifetime: 1500 } }] },
    });
    expect(room.status).toBe(200);
    const roomId = encodeURIComponent(room.body.room_id);
    const old = 'old-secret-' + Date.now();
    await api(hs, 'PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/t1`, { token: alice.accessToken, body: { msgtype: 'm.text', body: old } });
    await new Promise((r) => setTimeout(r, 1600));
    const fresh = 'fresh-' + Date.now();
    await api(hs, 'PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/t2`, { token: alice.accessToken, body: { msgtype: 'm.text', body: fresh } });
    const bodies = async (): Promise<(string | undefined)[]> => {
      const page = await api<{ chunk: { type: string; content: { body?: string } }[] }>(hs, 'GET', `/_matrix/client/v3/rooms/${roomId}/messages?dir=b&limit=50`, { token: alice.accessToken });
      return page.body.chunk.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
    };
    await waitFor('the old message to be pruned', async () => !(await bodies()).includes(old), 10_000);
    expect(await bodies()).toEqual([fresh, undefined]);
    const name = await api<{ name: string }>(hs, 'GET', `/_matrix/client/v3/rooms/${roomId}/state/m.room.name/`, { token: alice.accessToken });
    expect(name.body.name).toBe('Retained');
    await hs.stop();
    const stored = readdirSync(hs.dataDir).map((f) => readFileSync(join(hs.dataDir, f)).toString('latin1')).join('');
    expect(stored.includes(old)).toBe(false);
    expect(stored.includes(fresh)).toBe(true);
    await hs.restart();
  });
});
