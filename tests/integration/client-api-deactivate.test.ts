// Client-Server API against a real homeserver process: account deactivation with user-interactive
// auth, and erasure (spec v1.10 `erase`): the profile and account data are forgotten as well.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import type { RegisteredUser, TestHomeserver } from '../helpers/homeserver.ts';
import { V3, as, createRoom, enc, roomPath, startRelaxedHomeserver, type Json } from './client-api-shared.ts';

interface Uia { flows: { stages: string[] }[]; session: string; errcode?: string }

describe('Client-Server API: deactivating and erasing an account', () => {
  let hs: TestHomeserver;
  let host: RegisteredUser;

  beforeAll(async () => {
    hs = await startRelaxedHomeserver('deactivate.localhost');
    host = await hs.registerUser('host');
  });

  afterAll(async () => {
    await hs?.stop();
    hs?.cleanup();
  });

  const password = (u: RegisteredUser, pw: string, session?: string): Json => ({
    type: 'm.login.password', identifier: { type: 'm.id.user', user: u.userId }, password: pw, ...(session ? { session } : {}),
  });
  const canLogIn = async (u: RegisteredUser): Promise<number> =>
    (await as(hs, null, 'POST', `${V3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: u.userId }, password: u.password })).status;

  it('asks for the password, and a wrong one deactivates nothing', async () => {
    const u = await hs.registerUser('careful');
    const challenge = await as<Uia>(hs, u, 'POST', `${V3}/account/deactivate`, { erase: true });
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ['m.login.password'] }]);
    const wrong = await as<Uia>(hs, u, 'POST', `${V3}/account/deactivate`, { erase: true, auth: password(u, 'not-it', challenge.body.session) });
    expect([wrong.status, wrong.body.errcode]).toEqual([401, 'M_FORBIDDEN']);
    expect((await as(hs, u, 'GET', `${V3}/account/whoami`)).status).toBe(200);
    expect((await as<Json>(hs, null, 'GET', `${V3}/profile/${enc(u.userId)}`)).body).toEqual({ displayname: 'careful' });
    expect(await canLogIn(u)).toBe(200);
  });

  it('refuses an erase flag that is not a boolean with 400 M_BAD_JSON, before any auth', async () => {
    const u = await hs.registerUser('typo');
    const res = await as<Json>(hs, u, 'POST', `${V3}/account/deactivate`, { erase: 'yes', auth: password(u, u.password) });
    expect([res.status, res.body['errcode']]).toEqual([400, 'M_BAD_JSON']);
    expect((await as(hs, u, 'GET', `${V3}/account/whoami`)).status).toBe(200);
  });

  it('erases: leaves every room, forgets the profile and the account data, and the account cannot sign in again', async () => {
    const u = await hs.registerUser('leaving');
    expect((await as(hs, u, 'PUT', `${V3}/profile/${enc(u.userId)}/displayname`, { displayname: 'Quiet Heron' })).status).toBe(200);
    for (const who of [u, host]) expect((await as(hs, who, 'PUT', `${V3}/user/${enc(who.userId)}/account_data/org.example.private`, { note: 'mine' })).status).toBe(200);
    const roomId = await createRoom(hs, host);
    expect((await as(hs, host, 'POST', `${roomPath(roomId)}/invite`, { user_id: u.userId })).status).toBe(200);
    expect((await as(hs, u, 'POST', `${V3}/join/${enc(roomId)}`, {})).status).toBe(200);

    const challenge = await as<Uia>(hs, u, 'POST', `${V3}/account/deactivate`, { erase: true });
    const done = await as<Json>(hs, u, 'POST', `${V3}/account/deactivate`, { erase: true, auth: password(u, u.password, challenge.body.session) });
    expect(done.status).toBe(200);
    expect(done.body['id_server_unbind_result']).toBe('no-support');

    expect((await as(hs, u, 'GET', `${V3}/account/whoami`)).status).toBe(401);
    expect(await canLogIn(u)).toBe(403);
    expect((await as<Json>(hs, null, 'GET', `${V3}/profile/${enc(u.userId)}`)).body).toEqual({});
    const member = await as<Json>(hs, host, 'GET', `${roomPath(roomId)}/state/m.room.member/${enc(u.userId)}`);
    expect(member.body).toEqual({ membership: 'leave' });
    // No API can read a deactivated user's account data, so the test looks into the database itself.
    const db = new DatabaseSync(join(hs.dataDir, 'homeserver.db'), { readOnly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM account_data WHERE user_id = ?').get(u.userId)).toEqual({ n: 0 });
      expect(db.prepare('SELECT COUNT(*) AS n FROM account_data WHERE user_id = ?').get(host.userId)).not.toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });

  it('serves what an erased account sent pruned to everyone who asks afterwards, also after a restart; a plain deactivation keeps it', async () => {
    const erased = await hs.registerUser('erased-one');
    const plain = await hs.registerUser('plain-one');
    const roomId = await createRoom(hs, host, { preset: 'public_chat' });
    for (const u of [erased, plain]) expect((await as(hs, u, 'POST', `${V3}/join/${enc(roomId)}`, {})).status).toBe(200);
    const send = async (u: RegisteredUser, body: string): Promise<string> =>
      (await as<{ event_id: string }>(hs, u, 'PUT', `${roomPath(roomId)}/send/m.room.message/${enc(body)}`, { msgtype: 'm.text', body })).body.event_id;
    const gone = await send(erased, 'words to forget');
    const kept = await send(plain, 'words that stay');
    // A room the erased account created: its configuration must survive the erasure (a pruned
    // m.room.encryption would look unencrypted to whoever joins later).
    const own = await createRoom(hs, erased, { preset: 'public_chat', initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }] });
    expect((await as(hs, host, 'POST', `${V3}/join/${enc(own)}`, {})).status).toBe(200);
    for (const [u, erase] of [[erased, true], [plain, false]] as const) {
      const challenge = await as<Uia>(hs, u, 'POST', `${V3}/account/deactivate`, { erase });
      expect((await as(hs, u, 'POST', `${V3}/account/deactivate`, { erase, auth: password(u, u.password, challenge.body.session) })).status).toBe(200);
    }

    const check = async (): Promise<void> => {
      const late = await hs.registerUser(`late-${Date.now()}`);
      expect((await as(hs, late, 'POST', `${V3}/join/${enc(roomId)}`, {})).status).toBe(200);
      const page = await as<{ chunk: { event_id: string; type: string; sender: string; content: Json }[] }>(hs, late, 'GET', `${roomPath(roomId)}/messages?dir=b&limit=50`);
      const byId = new Map(page.body.chunk.map((e) => [e.event_id, e]));
      expect(byId.get(gone)?.content).toEqual({});
      expect(byId.get(kept)?.content).toEqual({ msgtype: 'm.text', body: 'words that stay' });
      // Their membership events keep only what redaction keeps: no display name.
      const joins = page.body.chunk.filter((e) => e.type === 'm.room.member' && e.sender === erased.userId);
      expect(joins.length).toBeGreaterThan(0);
      for (const j of joins) expect(Object.keys(j.content)).toEqual(['membership']);
      expect((await as<Json>(hs, late, 'GET', `${roomPath(roomId)}/event/${enc(gone)}`)).body['content']).toEqual({});
      const ctx = await as<{ event: { content: Json } }>(hs, late, 'GET', `${roomPath(roomId)}/context/${enc(gone)}?limit=0`);
      expect(ctx.body.event.content).toEqual({});
      // Those who were there are served the pruned copy too (as Synapse does).
      const sync = await as<{ rooms: { join: Record<string, { timeline: { events: { event_id: string; content: Json }[] } }> } }>(hs, host, 'GET', `${V3}/sync`);
      const seen = sync.body.rooms.join[roomId]!.timeline.events.find((e) => e.event_id === gone);
      if (seen) expect(seen.content).toEqual({});
      expect(JSON.stringify(sync.body)).not.toContain('words to forget');
      expect((await as(hs, late, 'POST', `${V3}/join/${enc(own)}`, {})).status).toBe(200);
      const encryption = await as<Json>(hs, late, 'GET', `${roomPath(own)}/state/m.room.encryption/`);
      expect(encryption.body).toEqual({ algorithm: 'm.megolm.v1.aes-sha2' });
      const create = await as<Json>(hs, late, 'GET', `${roomPath(own)}/state/m.room.create/`);
      expect(create.body['room_version']).toMatch(/^1[01]$/);
    };
    await check();
    await hs.restart();
    await check();
  });

  it('deactivates without erasing when erase is absent: the profile stays', async () => {
    const u = await hs.registerUser('plain');
    const challenge = await as<Uia>(hs, u, 'POST', `${V3}/account/deactivate`, {});
    expect((await as(hs, u, 'POST', `${V3}/account/deactivate`, { auth: password(u, u.password, challenge.body.session) })).status).toBe(200);
    expect(await canLogIn(u)).toBe(403);
    expect((await as<Json>(hs, null, 'GET', `${V3}/profile/${enc(u.userId)}`)).body).toEqual({ displayname: 'plain' });
  });
});
