// The one place that speaks matrix-js-sdk: starts a client for a session with Rust crypto (its
// IndexedDB store keeps device keys and room keys across reloads) and turns rooms and timelines into
// the plain values the state layer observes. Loaded with import() after first paint.
import {
  ClientEvent, createClient, Direction, EventStatus, EventType, Filter, MatrixEventEvent, MsgType, PendingEventOrdering, ReceiptType, RoomEvent,
  RoomMemberEvent, SyncState, type MatrixClient, type MatrixEvent, type Room,
} from 'matrix-js-sdk';
import type { Session } from './session.ts';
import { secretStorageCallbacks } from './key-backup.ts';
import { generatePseudonym } from './pseudonym.ts';

export type MessageState = 'sending' | 'sent' | 'failed';

export interface ChatMessage {
  /** The event id, or the transaction's local id while it is being sent. */
  id: string;
  sender: string;
  mine: boolean;
  timestamp: number;
  /** null while the message cannot (yet) be decrypted. */
  body: string | null;
  state: MessageState;
  /**
   * How the sender appears in this room: their per-room display name. In Peerline rooms never a
   * Matrix id; '' when the sender has no display name there yet (the UI shows a neutral word).
   */
  senderName?: string;
  /** One of my sent messages that another member has read (their receipt is at it or later). */
  seen?: boolean;
}

/** What an org.peerline.session state event says the room is for. */
export type RoomKind = 'peer' | 'group' | 'escalation';

/** 'offline' while the browser has no network or sync keeps failing; messages sent then wait and go out on return. */
export type ConnectionState = 'online' | 'offline';

/** The Peerline session state event type (protocol/src/event-types.ts), repeated to keep the lazy chunk small. */
const SESSION_EVENT_TYPE = 'org.peerline.session';

export interface RoomSummary {
  roomId: string;
  name: string;
  encrypted: boolean;
  unread: number;
  lastActivity: number;
  /** Set for rooms Peerline made (org.peerline.session); their `name` lists members' pseudonyms, or is '' when none is known yet. */
  kind?: RoomKind;
}

export interface ChatClientEvents {
  /** Rooms or a room's timeline changed; `roomId` says which timeline, when it is one. */
  onChange(roomId: string | null): void;
  /** A message from someone else arrived live (for the aria-live announcement). */
  onIncoming(roomId: string, message: ChatMessage): void;
  /** The access token was rejected: the session is over. */
  onSessionEnded(): void;
  /**
   * Any event added to a room's timeline, once decrypted (or known undecryptable): the escalation
   * controller reads suggestions and runs the on-device risk detector on these. `live` is false for
   * history loaded at start or by pagination.
   */
  onRoomEvent?(roomId: string, event: RoomEventView): void;
}

export interface RoomEventView {
  id: string;
  type: string;
  sender: string;
  mine: boolean;
  timestamp: number;
  /** The decrypted content ({} when it could not be decrypted). */
  content: Record<string, unknown>;
  encrypted: boolean;
  live: boolean;
}

export const CRYPTO_DB_PREFIX = 'peerline-crypto';

export interface ChatClientOptions {
  /**
   * Text-only mode (platform/text-only.ts): a lean sync filter, no typing notifications either way,
   * no read receipts for one's own messages. Encryption is the same in both modes.
   */
  textOnly?: boolean;
}

/** Messages a room starts with in text-only mode (older ones page in on scroll, 40 at a time). */
const TEXT_ONLY_TIMELINE_LIMIT = 20;

/**
 * How long text-only mode holds a read receipt: messages read meanwhile share one receipt, and an
 * answer sent meanwhile makes it needless (sending an event marks everything before it read, spec
 * "Receiving notifications"; clients count a sender as having read up to their own message).
 */
const TEXT_ONLY_RECEIPT_DELAY_MS = 8000;

/**
 * The sync filter of text-only mode: members loaded lazily, a short first timeline, no presence, no
 * ephemeral events (typing notifications and others' read receipts each wake the long poll for a
 * whole response; "seen" then follows from the other person's answers), and none of the event types
 * Peerline never shows (calls, reactions, polls, stickers, locations). State events all stay: a room
 * missing one would go wrong (membership, encryption, the Peerline session state).
 */
export function textOnlySyncFilter(userId: string): Filter {
  const filter = new Filter(userId);
  filter.setDefinition({
    presence: { not_types: ['*'] },
    room: {
      state: { lazy_load_members: true },
      timeline: {
        limit: TEXT_ONLY_TIMELINE_LIMIT,
        not_types: ['m.reaction', 'm.sticker', 'm.call.*', 'org.matrix.msc3401.call*', 'm.poll.*', 'org.matrix.msc3381.*', 'm.beacon*', 'org.matrix.msc3672.beacon*'],
      },
      ephemeral: { types: [] },
    },
  });
  return filter;
}

export class ChatClient {
  readonly session: Session;
  private readonly client: MatrixClient;
  private readonly events: ChatClientEvents;
  private readonly liveFrom = Date.now();
  /** Rooms whose pseudonym this session has set (or is setting), so each is set once. */
  private readonly named = new Set<string>();
  /** The event each room's last read receipt from this session went to. */
  private readonly receipts = new Map<string, string>();
  /** Resolves once the global profile name is cleared (or that failed): pseudonyms go only after it. */
  private profileReady: Promise<void> = Promise.resolve();
  /** The global display name the account had, which a per-room name equal to it would leak. */
  private formerGlobalName: string | null = null;
  private readonly onBrowserOnline = (): void => {
    this.client.retryImmediately();
    this.resendUnsent();
    this.events.onChange(null);
  };
  private readonly onBrowserOffline = (): void => this.events.onChange(null);
  private textOnly: boolean;

  private constructor(session: Session, client: MatrixClient, events: ChatClientEvents, options: ChatClientOptions) {
    this.session = session;
    this.client = client;
    this.events = events;
    this.textOnly = options.textOnly === true;
  }

  static async start(session: Session, events: ChatClientEvents, options: ChatClientOptions = {}): Promise<ChatClient> {
    const client = createClient({
      baseUrl: session.homeserverUrl, userId: session.userId, deviceId: session.deviceId, accessToken: session.accessToken,
      cryptoCallbacks: secretStorageCallbacks,
    });
    await client.initRustCrypto({ cryptoDatabasePrefix: CRYPTO_DB_PREFIX });
    const chat = new ChatClient(session, client, events, options);
    chat.listen();
    chat.profileReady = chat.hideGlobalName();
    await client.startClient({
      initialSyncLimit: chat.textOnly ? TEXT_ONLY_TIMELINE_LIMIT : 50, lazyLoadMembers: true,
      ...(chat.textOnly ? { filter: textOnlySyncFilter(session.userId) } : {}),
      // Messages being sent stay apart from the timeline until the server echoes them, so their state shows.
      pendingEventOrdering: PendingEventOrdering.Detached,
    });
    return chat;
  }

  private listen(): void {
    const c = this.client;
    c.on(ClientEvent.Sync, (state, prev) => {
      const wasDown = prev === SyncState.Error || prev === SyncState.Reconnecting;
      if (wasDown && (state === SyncState.Syncing || state === SyncState.Prepared || state === SyncState.Catchup)) this.resendUnsent();
      if (state === SyncState.Syncing || state === SyncState.Prepared) void this.ensurePseudonyms();
      // Stuck decryptions come from a (limited) initial sync or the catch-up after an outage: sweep
      // then, not on every sync, which would walk every loaded event per incoming message.
      if (state === SyncState.Prepared || (wasDown && state === SyncState.Syncing)) this.sweepUndecrypted();
      this.events.onChange(null);
    });
    c.on(RoomMemberEvent.Typing, (_event, member) => this.events.onChange(member.roomId));
    c.on(RoomEvent.Receipt, (_event, room) => this.events.onChange(room.roomId));
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this.onBrowserOnline);
      window.addEventListener('offline', this.onBrowserOffline);
    }
    c.on(ClientEvent.Room, () => this.events.onChange(null));
    c.on(RoomEvent.MyMembership, () => this.events.onChange(null));
    c.on(RoomEvent.Timeline, (event, room, _toStart, _removed, data) => {
      if (!room) return;
      this.events.onChange(room.roomId);
      const live = data.liveEvent === true;
      const settled = (): void => { this.announceIfLive(event, room, live); this.emitRoomEvent(event, room, live); };
      if (event.isBeingDecrypted() || event.isEncrypted()) event.once(MatrixEventEvent.Decrypted, settled);
      else settled();
    });
    c.on(RoomEvent.LocalEchoUpdated, (_event, room) => this.events.onChange(room.roomId));
    c.on(MatrixEventEvent.Decrypted, (event) => this.events.onChange(event.getRoomId() ?? null));
    c.on(ClientEvent.Event, (event) => {
      if (event.getType() === EventType.RoomEncryption) this.events.onChange(event.getRoomId() ?? null);
    });
    c.on(ClientEvent.Sync, (state, _prev, data) => {
      if (state === 'ERROR' && data?.error && (data.error as { errcode?: string }).errcode === 'M_UNKNOWN_TOKEN') this.events.onSessionEnded();
    });
  }

  private announceIfLive(event: MatrixEvent, room: Room, live: boolean): void {
    if (!live || event.getSender() === this.session.userId || event.getTs() < this.liveFrom) return;
    const m = this.toMessage(event);
    if (m) this.events.onIncoming(room.roomId, m);
  }

  private emitRoomEvent(event: MatrixEvent, room: Room, live: boolean): void {
    if (!this.events.onRoomEvent || event.isRedacted()) return;
    const failed = event.isDecryptionFailure() || event.getType() === EventType.RoomMessageEncrypted;
    this.events.onRoomEvent(room.roomId, {
      id: event.getId() ?? event.getTxnId() ?? '', type: event.getType(), sender: event.getSender() ?? '', mine: event.getSender() === this.session.userId,
      timestamp: event.getTs(), content: failed ? {} : event.getContent(), encrypted: event.isEncrypted(), live: live && event.getTs() >= this.liveFrom,
    });
  }

  /** Joined and invited rooms, most recently active first. */
  rooms(): RoomSummary[] {
    return this.client.getRooms()
      .filter((r) => r.getMyMembership() === 'join')
      .map((r) => {
        const kind = this.kindOf(r);
        return {
          roomId: r.roomId,
          name: this.nameOf(r),
          encrypted: r.hasEncryptionStateEvent(),
          // A server may not yet count my own message as reading what came before it (Synapse does not).
          unread: this.textOnly && this.spokeLast(r) ? 0 : r.getUnreadNotificationCount(),
          lastActivity: r.getLastActiveTimestamp(),
          ...(kind ? { kind } : {}),
        };
      })
      .sort((a, b) => b.lastActivity - a.lastActivity);
  }

  /** Whether the room's newest message is mine. */
  private spokeLast(room: Room): boolean {
    const events = room.getLiveTimeline().getEvents();
    for (let i = events.length - 1; i >= 0; i--) {
      const type = events[i]!.getType();
      if (type === EventType.RoomMessage || type === EventType.RoomMessageEncrypted) return events[i]!.getSender() === this.session.userId;
    }
    return false;
  }

  roomName(roomId: string): string {
    const r = this.client.getRoom(roomId);
    return r ? this.nameOf(r) : roomId;
  }

  /** What the room's org.peerline.session state says it is for; undefined for rooms Peerline did not make. */
  roomKind(roomId: string): RoomKind | undefined {
    const r = this.client.getRoom(roomId);
    return r ? this.kindOf(r) : undefined;
  }

  private kindOf(room: Room): RoomKind | undefined {
    const e = room.currentState.getStateEvents(SESSION_EVENT_TYPE, '');
    if (!e) return undefined;
    const kind = e.getContent()['kind'];
    return kind === 'group' || kind === 'escalation' ? kind : 'peer';
  }

  /** A Peerline room is named by its other members' pseudonyms (never ids, never the bot that made it). */
  private nameOf(room: Room): string {
    if (!this.kindOf(room)) return room.name || room.roomId;
    const creator = room.currentState.getStateEvents(EventType.RoomCreate, '')?.getSender();
    return room.getMembers()
      .filter((m) => (m.membership === 'join' || m.membership === 'invite') && m.userId !== this.session.userId && m.userId !== creator)
      .map((m) => this.memberName(room, m.userId))
      .filter((n) => n !== '')
      .sort()
      .join(', ');
  }

  /** How `userId` appears in the room: in Peerline rooms their room display name or '' (never the id). */
  private memberName(room: Room, userId: string): string {
    const m = room.getMember(userId);
    if (this.kindOf(room)) {
      const raw = m?.rawDisplayName;
      return raw && raw !== userId ? raw : '';
    }
    return m?.name ?? userId;
  }

  /** My own name in the room (my pseudonym in Peerline rooms), '' while none is set. */
  myName(roomId: string): string {
    const r = this.client.getRoom(roomId);
    const raw = r?.getMember(this.session.userId)?.rawDisplayName;
    return raw && raw !== this.session.userId ? raw : '';
  }

  /** Switches text-only mode's typing and receipt rules now; its sync filter applies from the next start. */
  setTextOnly(on: boolean): void { this.textOnly = on; }

  /** Names of the other members typing in the room now. */
  typing(roomId: string): string[] {
    const room = this.client.getRoom(roomId);
    if (!room) return [];
    return room.getMembers().filter((m) => m.typing && m.userId !== this.session.userId).map((m) => this.memberName(room, m.userId));
  }

  /** Tells the room I am (or stopped) typing; best effort. */
  async setTyping(roomId: string, typing: boolean): Promise<void> {
    if (this.textOnly) return; // two requests per message, and their echoes, for a nicety
    try { await this.client.sendTyping(roomId, typing, 30_000); } catch { /* offline: typing is not worth queueing */ }
  }

  /** Read receipts text-only mode holds back, by room. */
  private readonly heldReceipts = new Map<string, ReturnType<typeof setTimeout>>();

  /** Sends a read receipt for the room's newest event, unless I have read it already (text-only mode: a little later, see TEXT_ONLY_RECEIPT_DELAY_MS). */
  async markRead(roomId: string): Promise<void> {
    if (this.textOnly) {
      const last = this.client.getRoom(roomId)?.getLiveTimeline().getEvents().at(-1);
      // My own message needs no receipt: the server counts it as read (spec: "Receipts").
      if (!last || last.getSender() === this.session.userId) return;
      clearTimeout(this.heldReceipts.get(roomId));
      this.heldReceipts.set(roomId, setTimeout(() => { this.heldReceipts.delete(roomId); void this.sendReceipt(roomId); }, TEXT_ONLY_RECEIPT_DELAY_MS));
      return;
    }
    await this.sendReceipt(roomId);
  }

  /** Drops a held receipt: a message I send in the room marks it read anyway. */
  private dropHeldReceipt(roomId: string): void {
    clearTimeout(this.heldReceipts.get(roomId));
    this.heldReceipts.delete(roomId);
  }

  private async sendReceipt(roomId: string): Promise<void> {
    const room = this.client.getRoom(roomId);
    const events = room?.getLiveTimeline().getEvents() ?? [];
    const last = [...events].reverse().find((e) => e.getId() && !e.getId()!.startsWith('~') && e.status === null);
    if (!room || !last) return;
    const id = last.getId()!;
    if (this.receipts.get(roomId) === id || room.getEventReadUpTo(this.session.userId, true) === id) return;
    this.receipts.set(roomId, id);
    try { await this.client.sendReadReceipt(last, ReceiptType.Read); } catch { this.receipts.delete(roomId); /* offline: sent when the room is next read */ }
  }

  /** Whether the server holds older history of the room than is loaded. */
  hasOlder(roomId: string): boolean {
    const tl = this.client.getRoom(roomId)?.getLiveTimeline();
    return !!tl && tl.getPaginationToken(Direction.Backward) !== null;
  }

  /** Loads a page of older history; resolves whether more may remain. */
  async loadOlder(roomId: string): Promise<boolean> {
    const room = this.client.getRoom(roomId);
    if (!room || !this.hasOlder(roomId)) return false;
    return this.client.paginateEventTimeline(room.getLiveTimeline(), { backwards: true, limit: 40 });
  }

  /** Leaves the room (POST /_matrix/client/v3/rooms/{roomId}/leave through the SDK). */
  async leave(roomId: string): Promise<void> {
    await this.client.leave(roomId);
  }

  connection(): ConnectionState {
    const state = this.client.getSyncState();
    const browserOffline = typeof navigator !== 'undefined' && navigator.onLine === false;
    return browserOffline || state === SyncState.Error || state === SyncState.Reconnecting ? 'offline' : 'online';
  }

  /**
   * Sends again every message that could not be sent (offline). Each keeps its transaction id, so a
   * message the server did receive before the connection dropped is not stored twice.
   */
  private resendUnsent(): void {
    for (const room of this.client.getRooms()) {
      for (const e of room.getPendingEvents()) {
        if (e.status === EventStatus.NOT_SENT) this.client.resendEvent(e, room).catch(() => { /* stays failed, with a retry */ });
      }
    }
  }

  /**
   * Clears the account's global display name: homeservers copy it into every membership and invite
   * (SSO often fills it with the person's real name). Peers see only per-room pseudonyms instead.
   */
  /** When each still-undecrypted event was first seen by the sweep. */
  private readonly undecryptedSince = new WeakMap<MatrixEvent, number>();
  private readonly decryptRetries = new WeakMap<MatrixEvent, number>();

  /**
   * Retries decryption of loaded events that are still encrypted although no failure was reported:
   * after a reload, some events of a limited initial sync can stay "being decrypted" without end
   * (seen with matrix-js-sdk's Rust crypto; a retry decrypts them at once). An attempt is retried
   * once it has been pending for 3 s, or at once when none started.
   */
  private sweepUndecrypted(): void {
    const now = Date.now();
    let pending = false;
    for (const room of this.client.getRooms()) {
      for (const e of room.getLiveTimeline().getEvents()) {
        if (!e.isEncrypted() || e.getClearContent() !== null || e.isDecryptionFailure()) continue;
        const tries = this.decryptRetries.get(e) ?? 0;
        if (tries >= 3) continue;
        const since = this.undecryptedSince.get(e);
        if (since === undefined) this.undecryptedSince.set(e, now);
        if (!e.isBeingDecrypted() || (since !== undefined && now - since >= 3000)) {
          this.undecryptedSince.set(e, now);
          this.decryptRetries.set(e, tries + 1);
          void this.client.decryptEventIfNeeded(e, { isRetry: true });
        } else pending = true;
      }
    }
    // Look again once the pending ones are due, rather than waiting for the next sync (up to 30 s).
    if (pending && this.sweepTimer === null) this.sweepTimer = setTimeout(() => { this.sweepTimer = null; this.sweepUndecrypted(); }, 3100);
  }

  private sweepTimer: ReturnType<typeof setTimeout> | null = null;

  private async hideGlobalName(): Promise<void> {
    try {
      const { displayname } = await this.client.getProfileInfo(this.session.userId, 'displayname');
      if (typeof displayname === 'string' && displayname !== '') {
        this.formerGlobalName = displayname;
        await this.client.setDisplayName('');
      }
    } catch { /* no profile yet or offline: tried again at the next start */ }
  }

  /**
   * Gives me a fresh pseudonym in every Peerline room where I have no name of my own choosing yet
   * (none, or one the server copied from my account). It lives only in my m.room.member event there.
   */
  private async ensurePseudonyms(): Promise<void> {
    await this.profileReady;
    const me = this.session.userId;
    const localpart = me.slice(1).split(':')[0];
    for (const room of this.client.getRooms()) {
      if (room.getMyMembership() !== 'join' || !this.kindOf(room) || this.named.has(room.roomId)) continue;
      const member = room.currentState.getStateEvents(EventType.RoomMember, me);
      if (!member) continue;
      const content = member.getContent();
      const current = typeof content['displayname'] === 'string' ? content['displayname'] : '';
      if (current !== '' && current !== me && current !== localpart && current !== this.formerGlobalName) continue;
      this.named.add(room.roomId);
      const taken = new Set(room.getMembers().map((m) => m.rawDisplayName));
      const content2 = { ...content, membership: 'join', displayname: generatePseudonym(undefined, taken) };
      // The SDK's typed overloads want a known state content shape; a member event is sent like any other state.
      const sendState = this.client.sendStateEvent.bind(this.client) as (roomId: string, type: string, content: Record<string, unknown>, key: string) => Promise<unknown>;
      try { await sendState(room.roomId, EventType.RoomMember, content2, me); } catch { this.named.delete(room.roomId); }
    }
  }

  /** The room's loaded messages, oldest first, then those still being sent. */
  messages(roomId: string): ChatMessage[] {
    const room = this.client.getRoom(roomId);
    if (!room) return [];
    const live = room.getLiveTimeline().getEvents();
    const events = [...live, ...room.getPendingEvents()];
    const readUpTo = this.othersReadIndex(room, live);
    const seen = new Set<string>();
    const out: ChatMessage[] = [];
    events.forEach((e, i) => {
      const m = this.toMessage(e, room);
      if (!m || seen.has(m.id)) return;
      seen.add(m.id);
      if (m.mine && m.state === 'sent' && i < live.length) m.seen = i <= readUpTo;
      out.push(m);
    });
    return out;
  }

  /** The index in `live` of the newest event another member has read (-1 when none is loaded). */
  private othersReadIndex(room: Room, live: MatrixEvent[]): number {
    const index = new Map<string, number>();
    live.forEach((e, i) => { const id = e.getId(); if (id) index.set(id, i); });
    let max = -1;
    for (const m of room.getJoinedMembers()) {
      if (m.userId === this.session.userId) continue;
      const id = room.getEventReadUpTo(m.userId);
      const i = id ? index.get(id) : undefined;
      if (i !== undefined && i > max) max = i;
    }
    return max;
  }

  private toMessage(e: MatrixEvent, room?: Room): ChatMessage | null {
    const type = e.getType();
    if (type !== EventType.RoomMessage && type !== EventType.RoomMessageEncrypted) return null;
    if (e.isRedacted()) return null;
    const content = e.getContent();
    const decryptionFailed = e.isDecryptionFailure() || type === EventType.RoomMessageEncrypted;
    const body = !decryptionFailed && typeof content['body'] === 'string' ? content['body'] : null;
    const status = e.status;
    const state: MessageState = status === EventStatus.NOT_SENT ? 'failed'
      : status === EventStatus.SENDING || status === EventStatus.ENCRYPTING || status === EventStatus.QUEUED ? 'sending' : 'sent';
    const sender = e.getSender() ?? '';
    const r = room ?? this.client.getRoom(e.getRoomId() ?? '');
    const senderName = r ? this.memberName(r, sender) : sender;
    return { id: e.getId() ?? e.getTxnId() ?? '', sender, mine: sender === this.session.userId, timestamp: e.getTs(), body, state, senderName };
  }

  async sendText(roomId: string, body: string): Promise<void> {
    this.dropHeldReceipt(roomId);
    await this.client.sendMessage(roomId, { msgtype: MsgType.Text, body });
  }

  /**
   * One message of a room, decrypted on this device: from the loaded timeline, else fetched from the
   * homeserver (a peer room the supporter has left: its room keys stay on this device). null when the
   * event is unknown, not a message, or cannot be decrypted here.
   */
  async readMessage(roomId: string, eventId: string): Promise<ChatMessage | null> {
    const loaded = this.messages(roomId).find((m) => m.id === eventId);
    if (loaded && loaded.body !== null) return loaded;
    try {
      const event = this.client.getEventMapper()(await this.client.fetchRoomEvent(roomId, eventId));
      await this.client.decryptEventIfNeeded(event);
      const m = this.toMessage(event);
      return m && m.body !== null ? m : null;
    } catch {
      return null;
    }
  }

  /** Sends any room event (encrypted in an encrypted room), e.g. org.peerline.escalation.suggestion. */
  async sendEvent(roomId: string, type: string, content: Record<string, unknown>): Promise<string> {
    // The SDK's typed overloads know only the spec's event types; custom org.peerline.* types are sent the same way.
    const send = this.client.sendEvent.bind(this.client) as (roomId: string, type: string, content: Record<string, unknown>) => Promise<{ event_id: string }>;
    this.dropHeldReceipt(roomId);
    const res = await send(roomId, type, content);
    return res.event_id;
  }

  /** Sends a failed message again. */
  async retry(roomId: string, id: string): Promise<void> {
    const room = this.client.getRoom(roomId);
    const event = room?.getPendingEvents().find((e) => (e.getId() ?? e.getTxnId()) === id)
      ?? room?.getLiveTimeline().getEvents().find((e) => (e.getId() ?? e.getTxnId()) === id);
    if (event && event.status === EventStatus.NOT_SENT) await this.client.resendEvent(event, room!);
  }

  /** Invalidates the token on the server (best effort) and stops syncing; the caller wipes local data. */
  async logout(): Promise<void> {
    if (this.sweepTimer !== null) clearTimeout(this.sweepTimer);
    for (const t of this.heldReceipts.values()) clearTimeout(t);
    this.unlisten();
    this.client.stopClient();
    try { await this.client.logout(true); } catch { /* offline or already invalid: local data still goes */ }
    try { await this.client.clearStores(); } catch { /* wiped again by the caller */ }
  }

  /** The SDK client, for key-backup.ts (the only other module that speaks matrix-js-sdk). */
  get sdkClient(): MatrixClient { return this.client; }

  stop(): void {
    if (this.sweepTimer !== null) clearTimeout(this.sweepTimer);
    for (const t of this.heldReceipts.values()) clearTimeout(t);
    this.unlisten();
    this.client.stopClient();
  }

  private unlisten(): void {
    if (typeof window === 'undefined') return;
    window.removeEventListener('online', this.onBrowserOnline);
    window.removeEventListener('offline', this.onBrowserOffline);
  }
}
