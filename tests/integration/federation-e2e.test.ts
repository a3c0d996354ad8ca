// A student on server A and a peer supporter on server B, each with a real matrix-js-sdk client with
// Rust crypto, in a room encrypted from its first event: messages both ways (sent concurrently, so
// the room graph forks and both servers resolve it), typing and read receipts across servers, and
// server B crashing (SIGKILL) while the student keeps sending — when B comes back, everything A
// acknowledged reaches B's users in order, exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { startFederatedPair, type FederatedPair } from '../helpers/federated-pair.ts';
import { collectMessages, ENCRYPTION_STATE, newClient, sdk, waitFor, type Client } from '../helpers/client.ts';

const FAST_RETRY = ['--federation-retry-initial-ms', '200', '--federation-retry-max-ms', '1000'];
const enc = encodeURIComponent;
/** Timelines long enough that no sync in these tests is cut short (the server's default is 10). */
const syncFilter = (): Record<string, unknown> => ({ room: { timeline: { limit: 100 } } });

interface RawEvent { event_id: string; type: string; sender: string; content: Record<string, unknown> }

/** A client with a timeline filter of 100 events per sync, started and synced once. */
async function startClient(baseUrl: string, user: RegisteredUser): Promise<Client> {
  const client = await newClient(baseUrl, user, { start: false });
  const filter = new sdk.Filter(user.userId);
  // A fresh object: the SDK changes the definition it is given for its first sync.
  filter.setDefinition(syncFilter());
  const ready = new Promise<void>((resolve) => {
    const onSync = (state: sdk.SyncState): void => {
      if (state === sdk.SyncState.Prepared || state === sdk.SyncState.Syncing) {
        client.off(sdk.ClientEvent.Sync, onSync);
        resolve();
      }
    };
    client.on(sdk.ClientEvent.Sync, onSync);
  });
  await client.startClient({ initialSyncLimit: 20, filter });
  await ready;
  return client;
}

/** Every event of the room a user sees through /messages, oldest first. */
async function roomHistory(hs: TestHomeserver, user: RegisteredUser, roomId: string): Promise<RawEvent[]> {
  const out: RawEvent[] = [];
  let from: string | undefined;
  for (;;) {
    const r = await api<{ chunk: RawEvent[]; end?: string }>(hs, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=100${from ? `&from=${enc(from)}` : ''}`, { token: user.accessToken });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    out.push(...r.body.chunk);
    if (!r.body.end || r.body.chunk.length === 0) break;
    from = r.body.end;
  }
  return out.reverse();
}

describe('a student and a supporter on two homeservers', () => {
  let pair: FederatedPair;
  let student: RegisteredUser; // on A
  let supporter: RegisteredUser; // on B
  let cs: Client;
  let cb: Client;
  let roomId: string;

  beforeAll(async () => {
    pair = await startFederatedPair({ extraArgsA: FAST_RETRY, extraArgsB: FAST_RETRY });
    [student, supporter] = await Promise.all([pair.a.registerUser('student'), pair.b.registerUser('supporter')]);
    [cs, cb] = await Promise.all([startClient(pair.a.baseUrl, student), startClient(pair.b.baseUrl, supporter)]);
    ({ room_id: roomId } = await cs.createRoom({ preset: sdk.Preset.PrivateChat, initial_state: [ENCRYPTION_STATE] }));
    await cs.invite(roomId, supporter.userId);
    await waitFor('the supporter to see the invite', () => cb.getRoom(roomId)?.getMyMembership() === 'invite', 30_000);
    await cb.joinRoom(roomId);
    await waitFor('the student to see the supporter join', () => cs.getRoom(roomId)?.getMember(supporter.userId)?.membership === 'join', 30_000);
    // Each side knows the other's device before anyone sends. Otherwise, on a loaded machine, a
    // federated device-list fetch that outlasts the client's keys/query timeout makes the sender share
    // its first room key without that device and share it again later from a higher index — the
    // earlier messages then stay undecryptable, as the spec's key-sharing rules imply (seen in CI).
    const knows = (c: Client, userId: string) => async (): Promise<boolean> => ((await c.getCrypto()!.getUserDeviceInfo([userId], true)).get(userId)?.size ?? 0) > 0;
    await waitFor('the student to know the supporter\'s device', knows(cs, supporter.userId), 30_000);
    await waitFor('the supporter to know the student\'s device', knows(cb, student.userId), 30_000);
  }, 90_000);

  afterAll(async () => {
    cs?.stopClient();
    cb?.stopClient();
    await pair?.stop();
  });

  it('decrypts every one of 50 messages each way, sent from both sides at once, in each sender\'s order', async () => {
    const atSupporter = collectMessages(cb, roomId);
    const atStudent = collectMessages(cs, roomId);
    const N = 50;
    const sendAll = async (client: Client, prefix: string): Promise<void> => {
      for (let i = 0; i < N; i++) await client.sendTextMessage(roomId, `${prefix} ${i}`);
    };
    await Promise.all([sendAll(cs, 'student'), sendAll(cb, 'supporter')]);
    const expected = (prefix: string): string[] => Array.from({ length: N }, (_, i) => `${prefix} ${i}`);
    const of = (bodies: readonly string[], prefix: string): string[] => bodies.filter((b) => b.startsWith(`${prefix} `));
    await waitFor('the supporter to decrypt all the student\'s messages', () => of(atSupporter.bodies, 'student').length >= N, 90_000);
    await waitFor('the student to decrypt all the supporter\'s messages', () => of(atStudent.bodies, 'supporter').length >= N, 90_000);
    expect(atSupporter.failures).toEqual([]);
    expect(atStudent.failures).toEqual([]);
    expect(of(atSupporter.bodies, 'student')).toEqual(expected('student'));
    expect(of(atStudent.bodies, 'supporter')).toEqual(expected('supporter'));
    // Both servers hold the same 100 messages.
    const ids = async (hs: TestHomeserver, u: RegisteredUser): Promise<string[]> =>
      (await roomHistory(hs, u, roomId)).filter((e) => e.type === 'm.room.encrypted').map((e) => e.event_id).sort();
    const [atA, atB] = await Promise.all([ids(pair.a, student), ids(pair.b, supporter)]);
    expect(atA).toHaveLength(2 * N);
    expect(atB).toEqual(atA);
  }, 180_000);

  it('shows each side the other typing, and stopping', async () => {
    const typingAt = (client: Client, userId: string): boolean | undefined => client.getRoom(roomId)?.getMember(userId)?.typing;
    await cs.sendTyping(roomId, true, 30_000);
    await waitFor('the supporter to see the student typing', () => typingAt(cb, student.userId) === true, 20_000);
    await cs.sendTyping(roomId, false, 0);
    await waitFor('the supporter to see the student stop typing', () => typingAt(cb, student.userId) === false, 20_000);
    await cb.sendTyping(roomId, true, 30_000);
    await waitFor('the student to see the supporter typing', () => typingAt(cs, supporter.userId) === true, 20_000);
    await cb.sendTyping(roomId, false, 0);
    await waitFor('the student to see the supporter stop typing', () => typingAt(cs, supporter.userId) === false, 20_000);
  }, 60_000);

  it('shows each side the other\'s read receipt on the message read', async () => {
    const { event_id: fromStudent } = await cs.sendTextMessage(roomId, 'did you get this?');
    const seenBySupporter = await waitFor('the message at the supporter', () => cb.getRoom(roomId)?.findEventById(fromStudent), 30_000);
    await cb.sendReadReceipt(seenBySupporter);
    await waitFor('the student to see the supporter\'s receipt', () => cs.getRoom(roomId)?.getEventReadUpTo(supporter.userId) === fromStudent, 30_000);

    const { event_id: fromSupporter } = await cb.sendTextMessage(roomId, 'yes, I am here');
    const seenByStudent = await waitFor('the reply at the student', () => cs.getRoom(roomId)?.findEventById(fromSupporter), 30_000);
    await cs.sendReadReceipt(seenByStudent);
    await waitFor('the supporter to see the student\'s receipt', () => cb.getRoom(roomId)?.getEventReadUpTo(student.userId) === fromSupporter, 30_000);
    // The receipt reached the other server itself, not only the sender's client.
    const rooms = async (): Promise<Record<string, unknown>> => {
      const r = await api<{ rooms: { join: Record<string, { ephemeral: { events: { type: string; content: Record<string, Record<string, Record<string, unknown>>> }[] } }> } }>(
        pair.b, 'GET', '/_matrix/client/v3/sync?timeout=0', { token: supporter.accessToken },
      );
      const receipts = r.body.rooms.join[roomId]?.ephemeral.events.filter((e) => e.type === 'm.receipt') ?? [];
      return Object.assign({}, ...receipts.map((e) => e.content)) as Record<string, unknown>;
    };
    expect(Object.keys(await rooms())).toContain(fromSupporter);
  }, 90_000);

  it('delivers everything A acknowledged while B was killed, in order and exactly once, when B comes back', async () => {
    // A raw syncing client of the supporter, from before the crash.
    const filter = enc(JSON.stringify(syncFilter()));
    const first = await api<{ next_batch: string }>(pair.b, 'GET', `/_matrix/client/v3/sync?timeout=0&filter=${filter}`, { token: supporter.accessToken });
    let since = first.body.next_batch;
    const atSupporter = collectMessages(cb, roomId);

    // B is killed while A is sending to it (a transaction may be in flight or half processed).
    const acknowledged: string[] = [];
    const bodies: string[] = [];
    let killed: Promise<void> | null = null;
    for (let i = 0; i < 30; i++) {
      const body = `around the crash ${i}`;
      const { event_id } = await cs.sendTextMessage(roomId, body);
      acknowledged.push(event_id);
      bodies.push(body);
      if (i === 4) killed = pair.b.stop('SIGKILL');
    }
    await killed;
    await pair.b.restart();
    for (let i = 0; i < 5; i++) {
      const body = `after B came back ${i}`;
      const { event_id } = await cs.sendTextMessage(roomId, body);
      acknowledged.push(event_id);
      bodies.push(body);
    }

    // A syncing client sees each event once, in the order sent, with no gap.
    const synced: string[] = [];
    await waitFor('the supporter\'s /sync to show all 35 messages', async () => {
      const r = await api<{ next_batch: string; rooms?: { join?: Record<string, { timeline: { events: RawEvent[]; limited?: boolean } }> } }>(
        pair.b, 'GET', `/_matrix/client/v3/sync?timeout=1000&filter=${filter}&since=${enc(since)}`, { token: supporter.accessToken },
      );
      expect(r.status).toBe(200);
      since = r.body.next_batch;
      const tl = r.body.rooms?.join?.[roomId]?.timeline;
      if (tl) {
        expect(tl.limited ?? false).toBe(false);
        synced.push(...tl.events.filter((e) => e.sender === student.userId && e.type === 'm.room.encrypted').map((e) => e.event_id));
      }
      return synced.length >= acknowledged.length;
    }, 60_000);
    expect(synced).toEqual(acknowledged);

    // B's history holds them once, in order, after everything from before the crash.
    const history = (await roomHistory(pair.b, supporter, roomId)).map((e) => e.event_id);
    expect(history.filter((id) => acknowledged.includes(id))).toEqual(acknowledged);
    expect(new Set(history).size).toBe(history.length);
    expect(history.slice(-acknowledged.length)).toEqual(acknowledged);

    // And the supporter's own client, which kept running through the crash, decrypts them all, once.
    await waitFor('the supporter\'s client to decrypt all 35', () => bodies.every((b) => atSupporter.bodies.includes(b)), 90_000);
    expect(atSupporter.bodies.filter((b) => bodies.includes(b))).toEqual(bodies);
    expect(atSupporter.failures).toEqual([]);
  }, 180_000);
});
