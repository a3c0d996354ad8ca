// The bridge as an application service of a real homeserver: the homeserver reaches it with the
// hs_token (ping at start-up), the bot acts through the Client-Server API with the as_token (the
// bridge's own HomeserverClient), and every event of the bot's rooms is handled exactly once —
// across a clean restart, a crash (SIGKILL) while events keep coming, and a replayed transaction.
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { signInToBridge, startHomeserverWithBridge, testPolicy, waitFor, type TestBridge } from '../helpers/bridge.ts';
import { HomeserverClient, HomeserverError } from '../../bridge-service/src/services/homeserver-client.ts';

const enc = encodeURIComponent;

describe('bridge as an application service', () => {
  let hs: TestHomeserver;
  let bridge: TestBridge;
  let student: RegisteredUser;
  let admin: RegisteredUser;
  let bot: HomeserverClient;
  let roomId: string;
  let txn = 0;

  beforeAll(async () => {
    const started = await startHomeserverWithBridge({
      policy: (name) => testPolicy(name),
      admins: (name) => [`@admin:${name}`],
      // Retry transactions quickly once the bridge is back.
      homeserver: { env: { PEERLINE_APPSERVICE_RETRY_MS: '100,400' } },
    });
    hs = started.hs;
    bridge = started.bridge;
    student = await hs.registerUser('s-4hx81p');
    admin = await hs.registerUser('admin');
    bot = new HomeserverClient({ baseUrl: hs.baseUrl, asToken: bridge.asToken, botUserId: `@${bridge.senderLocalpart}:${hs.serverName}` });
  });

  afterAll(async () => {
    await bridge?.stop();
    await hs?.stop();
    bridge?.cleanup();
    hs?.cleanup();
  });

  async function say(body: string): Promise<string> {
    const r = await api<{ event_id: string }>(hs, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t${++txn}`, { token: student.accessToken, body: { msgtype: 'm.text', body } });
    expect(r.status).toBe(200);
    return r.body.event_id;
  }

  async function timeline(): Promise<string[]> {
    const r = await api<{ chunk: { event_id: string }[] }>(hs, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=1000`, { token: student.accessToken });
    return r.body.chunk.map((e) => e.event_id);
  }

  /** handled_count per event id, read from the bridge's database (WAL: readable while it runs). */
  function handledCounts(): Map<string, number> {
    const db = new DatabaseSync(join(bridge.dataDir, 'bridge.sqlite'), { readOnly: true });
    try {
      const rows = db.prepare('SELECT event_id, handled_count FROM appservice_events').all() as { event_id: string; handled_count: number }[];
      return new Map(rows.map((r) => [r.event_id, r.handled_count]));
    } finally {
      db.close();
    }
  }

  async function allHandled(): Promise<boolean> {
    const ids = await timeline();
    const counts = handledCounts();
    return ids.every((id) => (counts.get(id) ?? 0) >= 1);
  }

  it('is pinged by the homeserver at start-up with the hs_token', async () => {
    const session = await signInToBridge(bridge, hs, admin);
    await waitFor('start-up ping', async () => {
      const r = await bridge.api<{ last_ping_ts: number | null }>('GET', '/v1/admin/appservice', { token: session.session_token });
      return r.body.last_ping_ts !== null;
    });
  });

  it('acts as its bot through the Client-Server API with the as_token', async () => {
    expect((await bot.whoami()).user_id).toBe(bot.botUserId);
    roomId = (await bot.createRoom({ preset: 'private_chat', invite: [student.userId] })).room_id;
    await bot.sendStateEvent(roomId, 'm.room.topic', '', { topic: 'bridge test room' });
    expect(await bot.getStateEvent(roomId, 'm.room.topic')).toEqual({ topic: 'bridge test room' });
    const join = await api(hs, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, { token: student.accessToken, body: {} });
    expect(join.status).toBe(200);
    // Masquerading is limited to the appservice's namespace, which holds the bot only.
    await expect(bot.sendMessage(roomId, 'm.room.message', { msgtype: 'm.notice', body: 'x' }, { asUser: student.userId })).rejects.toBeInstanceOf(HomeserverError);
  });

  it('handles every event of its room once while running', async () => {
    await say('one');
    await say('two');
    await waitFor('events handled', allHandled);
    const counts = handledCounts();
    for (const id of await timeline()) expect(counts.get(id), id).toBe(1);
  });

  it('handles events sent while it was stopped once, after a clean restart', async () => {
    await bridge.stop();
    await say('three');
    await say('four');
    await bridge.restart();
    await waitFor('events after restart handled', allHandled);
    const counts = handledCounts();
    for (const id of await timeline()) expect(counts.get(id), id).toBe(1);
  });

  it('handles events once across a crash while they keep coming', async () => {
    const sending = (async () => { for (let i = 0; i < 6; i++) await say(`burst ${i}`); })();
    await bridge.stop('SIGKILL');
    await sending;
    await bridge.restart();
    await waitFor('events after crash handled', allHandled);
    const counts = handledCounts();
    const ids = await timeline();
    expect(ids.length).toBeGreaterThanOrEqual(12);
    for (const id of ids) expect(counts.get(id), id).toBe(1);
  });

  it('acknowledges a replayed transaction without processing it again', async () => {
    const session = await signInToBridge(bridge, hs, admin);
    const before = await bridge.api<Record<string, number>>('GET', '/v1/admin/appservice', { token: session.session_token });
    const db = new DatabaseSync(join(bridge.dataDir, 'bridge.sqlite'), { readOnly: true });
    const done = db.prepare('SELECT txn_id FROM appservice_txns WHERE completed_ts IS NOT NULL ORDER BY first_seen_ts LIMIT 1').get() as { txn_id: string };
    db.close();
    const timelineNow = await timeline();
    const replay = await fetch(`${bridge.url}/_matrix/app/v1/transactions/${enc(done.txn_id)}`, {
      method: 'PUT', headers: { Authorization: `Bearer ${bridge.hsToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ events: timelineNow.map((id) => ({ event_id: id, room_id: roomId, type: 'm.room.message', sender: student.userId, content: {} })) }),
    });
    expect(replay.status).toBe(200);
    const after = await bridge.api<Record<string, number>>('GET', '/v1/admin/appservice', { token: session.session_token });
    expect(after.body['redeliveries']).toBe(before.body['redeliveries']! + 1);
    expect(after.body['events_handled']).toBe(before.body['events_handled']);
    expect(after.body['transactions_completed']).toBe(before.body['transactions_completed']);
    expect(after.body['events_handled_more_than_once']).toBe(0);
  });

  it('answers user and alias queries with 404 and refuses the wrong hs_token', async () => {
    const headers = { Authorization: `Bearer ${bridge.hsToken}` };
    expect((await fetch(`${bridge.url}/_matrix/app/v1/users/${enc(`@nobody:${hs.serverName}`)}`, { headers })).status).toBe(404);
    expect((await fetch(`${bridge.url}/_matrix/app/v1/rooms/${enc(`#nowhere:${hs.serverName}`)}`, { headers })).status).toBe(404);
    const wrong = await fetch(`${bridge.url}/_matrix/app/v1/transactions/x1`, { method: 'PUT', headers: { Authorization: `Bearer ${bridge.asToken}` }, body: '{"events":[]}' });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ errcode: 'M_FORBIDDEN' });
  });
});
