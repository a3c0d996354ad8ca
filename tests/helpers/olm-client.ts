// A minimal Matrix client written directly on the Client-Server API (fetch) and libolm
// (`@matrix-org/olm`), independent of matrix-js-sdk: it proves our homeserver carries E2EE traffic it
// was not tuned to and that the wire formats match the spec's End-to-End Encryption module. Small and
// cheap enough to run ~1,000 of them in one Node process (the load test does). This file moves data
// (HTTP, /sync, rooms, device lists); the keys and sessions live in olm-device.ts.
//
// API (all in-memory; nothing is persisted):
//   const c = await OlmTestClient.start(baseUrl, user, opts?)   user: RegisteredUser from hs.registerUser
//       (access token + device) or { userId, password } to log in. Creates an Olm account, uploads signed
//       device keys, signed one-time keys and a fallback key, and starts the /sync long-poll loop.
//   c.userId, c.deviceId, c.identityKeys            { curve25519, ed25519 } of this device
//   await c.createEncryptedRoom({ invite?, name? })  → roomId (m.room.encryption in the initial state)
//   await c.joinRoom(roomIdOrAlias)                  → roomId, once the join has come down /sync
//   await c.invite(roomId, userId)
//   await c.leaveRoom(roomId)                        what was received stays readable in received()
//   c.membership(roomId, userId)                     → 'join' | 'invite' | 'leave' | … as seen in /sync
//   await c.waitUntil(() => cond, timeoutMs?, what?)  → resolves when cond is truthy (checked after each sync)
//   await c.sendText(roomId, body)                   → event_id (Megolm; shares/rotates the session first;
//       refuses rooms without m.room.encryption, as this client only speaks E2EE)
//   await c.waitForText(roomId, body, timeoutMs?)    → the ReceivedMessage once decrypted
//   c.received(roomId)                               → { messages, failures, pending }: decrypted bodies with
//       sender and event id in arrival order; refused events (bad MAC, replayed index, wrong room, …);
//       event ids still waiting for their room key. messages and failures are the live lists (read-only, not
//       copies), cheap to look at often
//   c.outboundSessionId(roomId)                      → current Megolm session id (undefined before the first send)
//   c.invites                                        → room ids this user is invited to
//   c.stats                                          → counters: syncs, syncErrors, toDeviceFailures, roomKeysReceived,
//       oneTimeKeysUploaded, keysClaimed, sessionsRotated, deviceListChanges, deviceListLefts, duplicateEvents (an event
//       delivered twice), limitedTimelines (a gap in a room's timeline: messages this client did not see)
//   await c.stop()                                   → ends the sync loop and frees every Olm object
//
// Spec references: client-server-api/modules/end_to_end_encryption.md (device keys, one-time and
// fallback keys, tracking device lists, m.olm.v1.curve25519-aes-sha2 incl. "Validation of incoming
// decrypted events", m.megolm.v1.aes-sha2 incl. replay protection and rotation).
import { setTimeout as sleep } from 'node:timers/promises';
import { MEGOLM_ALGORITHM, OLM_ALGORITHM, OTK_ALGORITHM, OlmDevice, type DeviceInfo, type OutboundMegolm } from './olm-device.ts';

export { canonicalJson } from './olm-device.ts';

type Json = Record<string, unknown>;
const enc = encodeURIComponent;

export interface OlmUserCredentials { userId: string; accessToken: string; deviceId: string }
export interface OlmUserLogin { userId: string; password: string; deviceId?: string }

export interface OlmClientOptions {
  /** One-time keys kept on the server (replenished when fewer than half remain; default 50). */
  oneTimeKeys?: number;
  /** Long-poll timeout of /sync in ms (default 30 000). */
  syncTimeoutMs?: number;
  /** Timeline events per room per sync (default 100, the server's maximum). */
  timelineLimit?: number;
}

export interface ReceivedMessage { eventId: string; sender: string; body: string; sessionId: string; index: number }
export interface DecryptionFailure { eventId: string; sender: string; reason: string }

interface PendingEvent { event: Json; sessionId: string }
interface RoomState {
  members: Map<string, string>; // user id → membership
  encrypted: boolean;
  rotationMs: number;
  rotationMsgs: number;
  historyVisibility: string;
  outbound?: OutboundMegolm;
  sendChain: Promise<unknown>;
  messages: ReceivedMessage[];
  failures: DecryptionFailure[];
  pending: Map<string, PendingEvent>; // event id → waiting for session
  seen: Set<string>; // event ids handled (sync may repeat an event)
}

export class MatrixHttpError extends Error {
  readonly status: number;
  readonly errcode: string;
  constructor(status: number, errcode: string, what: string) {
    super(`${what} failed: ${status} ${errcode}`);
    this.status = status;
    this.errcode = errcode;
  }
}

export class OlmTestClient {
  readonly identityKeys: { curve25519: string; ed25519: string };
  readonly invites = new Set<string>();
  readonly stats = { syncs: 0, syncErrors: 0, toDeviceReceived: 0, toDeviceFailures: 0, roomKeysReceived: 0, oneTimeKeysUploaded: 0, keysClaimed: 0, sessionsRotated: 0, deviceListChanges: 0, deviceListLefts: 0, duplicateEvents: 0, limitedTimelines: 0 };

  private readonly rooms = new Map<string, RoomState>();
  private readonly devices = new Map<string, Map<string, DeviceInfo>>(); // user → device id → keys
  private readonly outdatedUsers = new Set<string>();
  private readonly deviceByCurve = new Map<string, DeviceInfo>();
  private readonly waiters = new Set<() => void>();
  private readonly unvalidated: { p: Json; sender: string; senderKey: string }[] = [];
  private readonly abort = new AbortController();
  private shareLock: Promise<unknown> = Promise.resolve();
  private uploading = false;
  private keyUpload: Promise<unknown> = Promise.resolve();
  private uploadsDone = 0; // a sync requested before the last upload finished reports a stale count
  private since: string | undefined;
  private txn = 0;
  private loop: Promise<void> | undefined;
  private stopped = false;

  private readonly baseUrl: string;
  readonly userId: string;
  readonly deviceId: string;
  private readonly accessToken: string;
  private readonly device: OlmDevice;
  private readonly opts: Required<OlmClientOptions>;
  private readonly syncFilter: string;

  private constructor(baseUrl: string, creds: OlmUserCredentials, device: OlmDevice, opts: Required<OlmClientOptions>) {
    this.baseUrl = baseUrl;
    this.userId = creds.userId;
    this.deviceId = creds.deviceId;
    this.accessToken = creds.accessToken;
    this.device = device;
    this.opts = opts;
    // Only what this client uses: rooms' state and timelines, to-device and the E2EE extensions.
    this.syncFilter = enc(JSON.stringify({
      presence: { not_types: ['*'] }, account_data: { not_types: ['*'] },
      room: { timeline: { limit: opts.timelineLimit }, ephemeral: { not_types: ['*'] }, account_data: { not_types: ['*'] } },
    }));
    this.identityKeys = device.identityKeys;
  }

  /** Logs in if needed, creates and uploads this device's keys, and starts syncing (after the first sync). */
  static async start(baseUrl: string, user: OlmUserCredentials | OlmUserLogin, options: OlmClientOptions = {}): Promise<OlmTestClient> {
    let creds: OlmUserCredentials;
    if ('accessToken' in user) creds = user;
    else {
      const res = await fetch(`${baseUrl}/_matrix/client/v3/login`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: user.password, ...(user.deviceId ? { device_id: user.deviceId } : {}) }),
      });
      const body = (await res.json()) as { user_id: string; access_token: string; device_id: string; errcode?: string };
      if (!res.ok) throw new MatrixHttpError(res.status, body.errcode ?? '?', 'login');
      creds = { userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id };
    }
    const opts: Required<OlmClientOptions> = { oneTimeKeys: 50, syncTimeoutMs: 30_000, timelineLimit: 100, ...options };
    const client = new OlmTestClient(baseUrl, creds, await OlmDevice.create(creds.userId, creds.deviceId), opts);
    try {
      await client.uploadDeviceKeys();
      await client.syncOnce(0);
    } catch (e) {
      await client.stop();
      throw e;
    }
    client.loop = client.syncLoop();
    return client;
  }

  // ---- rooms ----------------------------------------------------------------------------------

  /** Creates a private room encrypted from its first event; resolves once /sync shows it joined. */
  async createEncryptedRoom(opts: { invite?: string[]; name?: string } = {}): Promise<string> {
    const { room_id: roomId } = await this.request<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', {
      preset: 'private_chat', invite: opts.invite ?? [], ...(opts.name ? { name: opts.name } : {}),
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: MEGOLM_ALGORITHM } }],
    });
    await this.waitUntil(() => this.rooms.get(roomId)?.encrypted === true);
    return roomId;
  }

  /** Joins a room; resolves once /sync shows the join (so members and encryption are known). */
  async joinRoom(roomIdOrAlias: string): Promise<string> {
    const { room_id: roomId } = await this.request<{ room_id: string }>('POST', `/_matrix/client/v3/join/${enc(roomIdOrAlias)}`, {});
    await this.waitUntil(() => this.rooms.get(roomId)?.members.get(this.userId) === 'join');
    this.invites.delete(roomId);
    return roomId;
  }

  async invite(roomId: string, userId: string): Promise<void> {
    await this.request('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: userId });
  }

  /** The membership of `userId` in `roomId` as this client's /sync has shown it. */
  membership(roomId: string, userId: string): string | undefined {
    return this.rooms.get(roomId)?.members.get(userId);
  }

  async leaveRoom(roomId: string): Promise<void> {
    await this.request('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {});
    await this.waitUntil(() => this.rooms.get(roomId)?.members.get(this.userId) !== 'join');
  }

  received(roomId: string): { messages: readonly ReceivedMessage[]; failures: readonly DecryptionFailure[]; pending: string[] } {
    const r = this.rooms.get(roomId);
    return { messages: r?.messages ?? [], failures: r?.failures ?? [], pending: r ? [...r.pending.keys()] : [] };
  }

  outboundSessionId(roomId: string): string | undefined {
    return this.rooms.get(roomId)?.outbound?.session.session_id();
  }

  /** Resolves with the first decrypted message with this body; rejects on timeout or stop. */
  waitForText(roomId: string, body: string, timeoutMs = 20_000): Promise<ReceivedMessage> {
    const find = (): ReceivedMessage | undefined => this.rooms.get(roomId)?.messages.find((m) => m.body === body);
    return this.waitUntil(find, timeoutMs, `a message in ${roomId}`);
  }

  // ---- sending --------------------------------------------------------------------------------

  /** Encrypts and sends an m.text message with Megolm; returns its event id. */
  sendText(roomId: string, body: string): Promise<string> {
    const room = this.rooms.get(roomId);
    if (room?.members.get(this.userId) !== 'join') return Promise.reject(new Error(`not joined to ${roomId}`));
    // One send at a time per room keeps the Megolm index order and the key sharing consistent.
    const next = room.sendChain.then(() => this.sendInOrder(roomId, room, { msgtype: 'm.text', body }));
    room.sendChain = next.catch(() => undefined);
    return next;
  }

  private async sendInOrder(roomId: string, room: RoomState, content: Json): Promise<string> {
    if (!room.encrypted) throw new Error(`room ${roomId} is not encrypted; this client sends only encrypted messages`);
    let out = room.outbound;
    if (out && (out.sent >= room.rotationMsgs || Date.now() - out.createdAt >= room.rotationMs)) {
      this.discardOutbound(room);
      out = undefined;
    }
    if (!out) {
      out = this.device.newOutboundMegolm(roomId);
      room.outbound = out;
    }
    await this.shareRoomKey(roomId, room, out);
    const ciphertext = out.session.encrypt(JSON.stringify({ type: 'm.room.message', content, room_id: roomId }));
    out.sent++;
    const payload = { algorithm: MEGOLM_ALGORITHM, sender_key: this.identityKeys.curve25519, device_id: this.deviceId, session_id: out.session.session_id(), ciphertext };
    const { event_id: eventId } = await this.idempotentPut<{ event_id: string }>(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.encrypted/${this.nextTxn()}`, payload);
    return eventId;
  }

  /** Sends the outbound session's key (at its current index) to every device of every member that lacks it. */
  private async shareRoomKey(roomId: string, room: RoomState, out: OutboundMegolm): Promise<void> {
    const recipients = [...room.members].filter(([, m]) => m === 'join' || (m === 'invite' && room.historyVisibility !== 'joined')).map(([u]) => u);
    await this.ensureDeviceKeys(recipients);
    const targets: DeviceInfo[] = [];
    for (const userId of recipients) {
      for (const d of this.devices.get(userId)?.values() ?? []) {
        if (d.userId === this.userId && d.deviceId === this.deviceId) continue;
        if (!out.sharedWith.has(`${d.userId}|${d.deviceId}`)) targets.push(d);
      }
    }
    if (targets.length === 0) return;
    const roomKey = { algorithm: MEGOLM_ALGORITHM, room_id: roomId, session_id: out.session.session_id(), session_key: out.session.session_key() };
    // Olm session creation must not race between rooms: two new sessions to one device would both be pre-key.
    const share = this.shareLock.then(async () => {
      await this.ensureOlmSessions(targets);
      const messages: Record<string, Record<string, Json>> = {};
      const sent: DeviceInfo[] = [];
      for (const d of targets) {
        const content = this.device.olmEncrypt(d, 'm.room_key', roomKey);
        if (!content) continue; // no one-time key could be claimed: try again on the next send
        (messages[d.userId] ??= {})[d.deviceId] = content;
        sent.push(d);
      }
      if (sent.length === 0) return;
      await this.idempotentPut(`/_matrix/client/v3/sendToDevice/m.room.encrypted/${this.nextTxn()}`, { messages });
      for (const d of sent) out.sharedWith.add(`${d.userId}|${d.deviceId}`);
    });
    this.shareLock = share.catch(() => undefined);
    await share;
  }

  /** Claims one-time keys and creates outbound Olm sessions for devices we have none with. */
  private async ensureOlmSessions(devices: DeviceInfo[]): Promise<void> {
    const missing = devices.filter((d) => !this.device.hasOlmSession(d.curve25519));
    if (missing.length === 0) return;
    const query: Record<string, Record<string, string>> = {};
    for (const d of missing) (query[d.userId] ??= {})[d.deviceId] = OTK_ALGORITHM;
    const res = await this.request<{ one_time_keys?: Record<string, Record<string, Record<string, Json>>> }>('POST', '/_matrix/client/v3/keys/claim', { one_time_keys: query, timeout: 10_000 });
    for (const d of missing) {
      const keys = res.one_time_keys?.[d.userId]?.[d.deviceId] ?? {};
      // A key whose signature does not hold is ignored (the device then gets the room key next time).
      const otk = Object.entries(keys).find(([keyId, k]) => keyId.startsWith(`${OTK_ALGORITHM}:`) && this.device.startOlmSession(d, k));
      if (otk) this.stats.keysClaimed++;
    }
  }

  /** Retires the room's outbound session: the next send makes and shares a new one. */
  private discardOutbound(room: RoomState): void {
    const old = room.outbound;
    if (!old) return;
    delete room.outbound;
    this.stats.sessionsRotated++;
    // A send in flight may still be encrypting with it: free it once the room's sends are done.
    room.sendChain = room.sendChain.then(() => old.session.free());
  }

  // ---- keys -----------------------------------------------------------------------------------

  private async uploadDeviceKeys(): Promise<void> {
    const res = await this.request<{ one_time_key_counts?: Record<string, number> }>('POST', '/_matrix/client/v3/keys/upload', { device_keys: this.device.deviceKeys() });
    await this.replenishKeys(res.one_time_key_counts?.[OTK_ALGORITHM] ?? 0, false);
  }

  /** Uploads one-time keys up to the target, and a fallback key when the server has no unused one. */
  private async replenishKeys(serverCount: number, fallbackUnused: boolean): Promise<void> {
    const want = this.opts.oneTimeKeys - serverCount;
    const needOtks = serverCount < this.opts.oneTimeKeys / 2 && want > 0;
    if ((!needOtks && fallbackUnused) || this.uploading) return;
    this.uploading = true;
    try {
      const body: Json = {};
      if (needOtks) body['one_time_keys'] = this.device.newOneTimeKeys(want);
      if (!fallbackUnused) body['fallback_keys'] = this.device.newFallbackKey();
      await this.request('POST', '/_matrix/client/v3/keys/upload', body);
      this.device.markKeysPublished();
      this.uploadsDone++;
      if (needOtks) this.stats.oneTimeKeysUploaded += want;
    } finally {
      this.uploading = false;
    }
  }

  /** Queries device keys of users not yet known or marked outdated by device_lists.changed. */
  private async ensureDeviceKeys(userIds: string[]): Promise<void> {
    const wanted = userIds.filter((u) => !this.devices.has(u) || this.outdatedUsers.has(u));
    if (wanted.length === 0) return;
    for (const u of wanted) this.outdatedUsers.delete(u);
    const res = await this.request<{ device_keys?: Record<string, Record<string, Json>>; failures?: Record<string, unknown> }>('POST', '/_matrix/client/v3/keys/query', { device_keys: Object.fromEntries(wanted.map((u) => [u, []])), timeout: 10_000 });
    for (const userId of wanted) {
      // A server that could not be reached: keep what we had and ask again next time.
      if (res.failures?.[userId.slice(userId.indexOf(':') + 1)] !== undefined) { this.outdatedUsers.add(userId); continue; }
      const old = this.devices.get(userId);
      const fresh = new Map<string, DeviceInfo>();
      for (const [deviceId, keys] of Object.entries(res.device_keys?.[userId] ?? {})) {
        const k = keys['keys'] as Record<string, string> | undefined;
        const ed25519 = k?.[`ed25519:${deviceId}`];
        const curve25519 = k?.[`curve25519:${deviceId}`];
        if (keys['user_id'] !== userId || keys['device_id'] !== deviceId || !ed25519 || !curve25519) continue;
        if (!this.device.verifySignature(keys, userId, `ed25519:${deviceId}`, ed25519)) continue;
        const known = old?.get(deviceId);
        // A device's keys never change (spec: "Tracking the device list"): a changed key is an attack.
        if (known && (known.ed25519 !== ed25519 || known.curve25519 !== curve25519)) { fresh.set(deviceId, known); continue; }
        const info = { userId, deviceId, curve25519, ed25519 };
        fresh.set(deviceId, info);
        this.deviceByCurve.set(curve25519, info);
      }
      this.devices.set(userId, fresh);
    }
  }

  // ---- sync -----------------------------------------------------------------------------------

  private async syncLoop(): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      try {
        await this.syncOnce(this.opts.syncTimeoutMs);
        backoff = 100;
      } catch (e) {
        if (this.stopped) return;
        this.stats.syncErrors++;
        // The server may be restarting (fault tests): retry with a short, capped back-off.
        await sleep(backoff, undefined, { signal: this.abort.signal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, 2_000);
        void e;
      }
    }
  }

  private async syncOnce(timeoutMs: number): Promise<void> {
    const qs = `timeout=${timeoutMs}&filter=${this.syncFilter}${this.since ? `&since=${enc(this.since)}` : ''}`;
    const uploadsBefore = this.uploadsDone;
    const body = await this.request<Json & { next_batch: string }>('GET', `/_matrix/client/v3/sync?${qs}`);
    await this.processSync(body, uploadsBefore === this.uploadsDone);
    this.since = body.next_batch;
    this.stats.syncs++;
    for (const w of [...this.waiters]) w();
  }

  private async processSync(body: Json, keyCountsCurrent: boolean): Promise<void> {
    const lists = body['device_lists'] as { changed?: string[]; left?: string[] } | undefined;
    for (const u of lists?.changed ?? []) {
      this.stats.deviceListChanges++;
      if (this.devices.has(u)) this.outdatedUsers.add(u);
    }
    for (const u of lists?.left ?? []) {
      this.stats.deviceListLefts++;
      this.devices.delete(u);
      this.outdatedUsers.delete(u);
    }

    const otkCount = (body['device_one_time_keys_count'] as Record<string, number> | undefined)?.[OTK_ALGORITHM] ?? 0;
    const fallbackUnused = ((body['device_unused_fallback_key_types'] as string[] | undefined) ?? [OTK_ALGORITHM]).includes(OTK_ALGORITHM);
    if (keyCountsCurrent && !this.uploading) this.keyUpload = this.replenishKeys(otkCount, fallbackUnused).catch(() => undefined);

    for (const u of this.unvalidated.splice(0)) await this.acceptOlmPlaintext(u.p, u.sender, u.senderKey);
    // To-device first: room keys in this batch decrypt the timeline events in it.
    for (const ev of ((body['to_device'] as { events?: Json[] } | undefined)?.events ?? [])) await this.handleToDevice(ev);

    const rooms = body['rooms'] as { join?: Record<string, Json>; invite?: Record<string, Json>; leave?: Record<string, Json> } | undefined;
    for (const roomId of Object.keys(rooms?.invite ?? {})) this.invites.add(roomId);
    for (const [roomId, r] of Object.entries(rooms?.join ?? {})) {
      this.invites.delete(roomId);
      const room = this.roomState(roomId);
      for (const ev of ((r['state'] as { events?: Json[] } | undefined)?.events ?? [])) this.applyState(room, ev);
      const timeline = r['timeline'] as { events?: Json[]; limited?: boolean } | undefined;
      // A gap (more events than the limit since the last sync) would hide messages: counted for the load test.
      if (timeline?.limited && this.since !== undefined) this.stats.limitedTimelines++;
      for (const ev of timeline?.events ?? []) {
        if (typeof ev['state_key'] === 'string') this.applyState(room, ev);
        else if (ev['type'] === 'm.room.encrypted') this.handleRoomEvent(roomId, room, ev);
      }
    }
    for (const [roomId, r] of Object.entries(rooms?.leave ?? {})) {
      this.invites.delete(roomId);
      const room = this.rooms.get(roomId);
      if (!room) continue;
      // What we received stays readable; only the membership (and with it the outbound session) goes.
      for (const ev of ((r['timeline'] as { events?: Json[] } | undefined)?.events ?? [])) if (typeof ev['state_key'] === 'string') this.applyState(room, ev);
      if (room.members.get(this.userId) === 'join') room.members.set(this.userId, 'leave');
      this.discardOutbound(room);
    }
  }

  private roomState(roomId: string): RoomState {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = { members: new Map(), encrypted: false, rotationMs: 7 * 24 * 3600_000, rotationMsgs: 100, historyVisibility: 'shared', sendChain: Promise.resolve(), messages: [], failures: [], pending: new Map(), seen: new Set() };
      this.rooms.set(roomId, room);
    }
    return room;
  }

  private applyState(room: RoomState, ev: Json): void {
    const content = (ev['content'] ?? {}) as Json;
    switch (ev['type']) {
      case 'm.room.member': {
        const userId = ev['state_key'] as string;
        const before = room.members.get(userId);
        const now = String(content['membership']);
        room.members.set(userId, now);
        // Someone who may hold the current session left: rotate before the next message (spec, Megolm).
        if ((now === 'leave' || now === 'ban') && before !== now) this.discardOutbound(room);
        if (now === 'join' && before !== 'join' && userId !== this.userId) this.outdatedUsers.add(userId);
        break;
      }
      case 'm.room.encryption':
        // Encryption can never be turned off again; only the first algorithm we know counts.
        if (content['algorithm'] === MEGOLM_ALGORITHM) {
          room.encrypted = true;
          if (typeof content['rotation_period_ms'] === 'number') room.rotationMs = content['rotation_period_ms'];
          if (typeof content['rotation_period_msgs'] === 'number') room.rotationMsgs = content['rotation_period_msgs'];
        }
        break;
      case 'm.room.history_visibility': {
        const vis = String(content['history_visibility'] ?? 'shared');
        if (vis !== room.historyVisibility) this.discardOutbound(room);
        room.historyVisibility = vis;
        break;
      }
    }
  }

  // ---- decryption -----------------------------------------------------------------------------

  private async handleToDevice(ev: Json): Promise<void> {
    if (ev['type'] !== 'm.room.encrypted') return; // unencrypted to-device (e.g. m.room_key.withheld) carries no keys
    this.stats.toDeviceReceived++;
    const content = (ev['content'] ?? {}) as Json;
    const sender = ev['sender'] as string;
    const senderKey = content['sender_key'];
    const mine = (content['ciphertext'] as Record<string, { type?: unknown; body?: unknown }> | undefined)?.[this.identityKeys.curve25519];
    if (content['algorithm'] !== OLM_ALGORITHM || typeof senderKey !== 'string' || !mine || (mine.type !== 0 && mine.type !== 1) || typeof mine.body !== 'string') {
      this.stats.toDeviceFailures++;
      return;
    }
    const plaintext = this.device.olmDecrypt(senderKey, mine.type, mine.body);
    if (plaintext === undefined) { this.stats.toDeviceFailures++; return; }
    let p: Json;
    try { p = JSON.parse(plaintext) as Json; } catch { this.stats.toDeviceFailures++; return; }
    await this.acceptOlmPlaintext(p, sender, senderKey);
  }

  /** Validates a decrypted to-device plaintext and acts on it; kept for later if the key query fails
   *  (the Olm message cannot be decrypted a second time, so it must not be lost to a network error). */
  private async acceptOlmPlaintext(p: Json, sender: string, senderKey: string): Promise<void> {
    let valid: boolean;
    try {
      valid = await this.validOlmPlaintext(p, sender, senderKey);
    } catch {
      this.unvalidated.push({ p, sender, senderKey });
      return;
    }
    if (!valid) { this.stats.toDeviceFailures++; return; }
    if (p['type'] === 'm.room_key') this.handleRoomKey(p['content'] as Json, sender, (p['keys'] as { ed25519: string }).ed25519);
  }

  /** "Validation of incoming decrypted events" for Olm, and that the sending device is who it claims. */
  private async validOlmPlaintext(p: Json, sender: string, senderKey: string): Promise<boolean> {
    if (p['sender'] !== sender || p['recipient'] !== this.userId) return false;
    if ((p['recipient_keys'] as Json | undefined)?.['ed25519'] !== this.identityKeys.ed25519) return false;
    const claimedEd = (p['keys'] as Json | undefined)?.['ed25519'];
    if (typeof claimedEd !== 'string') return false;
    const sdk = p['sender_device_keys'] as Json | undefined;
    if (sdk !== undefined) {
      const deviceId = sdk['device_id'];
      const k = sdk['keys'] as Record<string, string> | undefined;
      if (sdk['user_id'] !== sender || typeof deviceId !== 'string' || k?.[`curve25519:${deviceId}`] !== senderKey || k[`ed25519:${deviceId}`] !== claimedEd) return false;
      if (!this.device.verifySignature(sdk, sender, `ed25519:${deviceId}`, claimedEd)) return false;
    }
    // The Curve25519 key must belong to a device of the sender whose Ed25519 key is the claimed one.
    let device = this.deviceByCurve.get(senderKey);
    if (!device || device.userId !== sender) {
      this.outdatedUsers.add(sender);
      await this.ensureDeviceKeys([sender]);
      device = this.deviceByCurve.get(senderKey);
    }
    return device !== undefined && device.userId === sender && device.ed25519 === claimedEd;
  }

  private handleRoomKey(content: Json, sender: string, senderEd25519: string): void {
    const { algorithm, room_id: roomId, session_id: sessionId, session_key: sessionKey } = content;
    if (algorithm !== MEGOLM_ALGORITHM || typeof roomId !== 'string' || typeof sessionId !== 'string' || typeof sessionKey !== 'string') return;
    if (this.device.storeInboundMegolm(roomId, sessionId, sessionKey, sender, senderEd25519)) this.stats.roomKeysReceived++;
    const room = this.rooms.get(roomId);
    if (!room) return;
    for (const [eventId, p] of [...room.pending]) {
      if (p.sessionId !== sessionId) continue;
      room.pending.delete(eventId);
      room.seen.delete(eventId);
      this.handleRoomEvent(roomId, room, p.event);
    }
  }

  private handleRoomEvent(roomId: string, room: RoomState, ev: Json): void {
    const eventId = ev['event_id'] as string;
    const sender = ev['sender'] as string;
    if (room.seen.has(eventId)) { this.stats.duplicateEvents++; return; } // a repeated delivery is not a replay
    room.seen.add(eventId);
    const content = (ev['content'] ?? {}) as Json;
    const fail = (reason: string): void => { room.failures.push({ eventId, sender, reason }); };
    if (content['algorithm'] !== MEGOLM_ALGORITHM || typeof content['session_id'] !== 'string' || typeof content['ciphertext'] !== 'string') return fail('unsupported algorithm or malformed content');
    const sessionId = content['session_id'];
    const result = this.device.megolmDecrypt(roomId, eventId, sender, sessionId, content['ciphertext']);
    if (!result.ok) {
      if (result.unknownSession) room.pending.set(eventId, { event: ev, sessionId });
      else fail(result.reason);
      return;
    }
    const c = result.plaintext['content'] as Json | undefined;
    if (result.plaintext['type'] === 'm.room.message' && typeof c?.['body'] === 'string') {
      room.messages.push({ eventId, sender, body: c['body'], sessionId, index: result.index });
    }
  }

  // ---- plumbing -------------------------------------------------------------------------------

  private nextTxn(): string {
    return `olm${Date.now().toString(36)}.${++this.txn}`;
  }

  /**
   * A PUT with a transaction id, retried with the same id while the server is unreachable, answers 5xx
   * (it may be restarting) or rate-limits (429): the spec's transaction idempotency makes the retry deliver at most once.
   * Gives up after about 30 seconds, or at once on stop() or a 4xx.
   */
  private async idempotentPut<T = Json>(path: string, body: unknown): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (let backoff = 100; ; backoff = Math.min(backoff * 2, 2_000)) {
      try {
        return await this.request<T>('PUT', path, body);
      } catch (e) {
        const retriable = !(e instanceof MatrixHttpError) || e.status >= 500 || e.status === 429;
        if (this.stopped || !retriable || Date.now() + backoff > deadline) throw e;
      }
      await sleep(backoff, undefined, { signal: this.abort.signal }).catch(() => undefined);
    }
  }

  private async request<T = Json>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method, signal: this.abort.signal,
      headers: { Authorization: `Bearer ${this.accessToken}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: Json = {};
    try { parsed = text ? JSON.parse(text) as Json : {}; } catch { /* not JSON: reported by status below */ }
    // Name the route, not the full path: paths can hold room ids but never tokens or content.
    if (!res.ok) throw new MatrixHttpError(res.status, String(parsed['errcode'] ?? '?'), `${method} ${path.split('?')[0]}`);
    return parsed as T;
  }

  /** Resolves when `check` holds, checked now and after every sync (no polling timer). */
  waitUntil<T>(check: () => T | undefined | false, timeoutMs = 20_000, what = 'the sync to catch up'): Promise<T> {
    const now = check();
    if (now) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => { this.waiters.delete(waiter); reject(new Error(`${this.userId}: timed out waiting for ${what}`)); }, timeoutMs);
      const waiter = (): void => {
        if (this.stopped) { clearTimeout(timer); this.waiters.delete(waiter); reject(new Error('client stopped')); return; }
        const v = check();
        if (v) { clearTimeout(timer); this.waiters.delete(waiter); resolve(v); }
      };
      this.waiters.add(waiter);
    });
  }

  /** Stops syncing, fails pending waits, and frees every Olm object. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    for (const w of [...this.waiters]) w();
    await this.loop?.catch(() => undefined);
    await this.shareLock.catch(() => undefined);
    await this.keyUpload;
    for (const room of this.rooms.values()) await room.sendChain.catch(() => undefined);
    for (const room of this.rooms.values()) room.outbound?.session.free();
    this.rooms.clear();
    this.device.free();
  }
}
