// The one place that speaks matrix-js-sdk: starts a client for a session with Rust crypto (its
// IndexedDB store keeps device keys and room keys across reloads) and turns rooms and timelines into
// the plain values the state layer observes. Loaded with import() after first paint.
import {
  ClientEvent, createClient, EventStatus, EventType, MatrixEventEvent, MsgType, PendingEventOrdering, RoomEvent,
  type MatrixClient, type MatrixEvent, type Room,
} from 'matrix-js-sdk';
import type { Session } from './session.ts';
import { secretStorageCallbacks } from './key-backup.ts';

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
}

export interface RoomSummary {
  roomId: string;
  name: string;
  encrypted: boolean;
  unread: number;
  lastActivity: number;
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

export class ChatClient {
  readonly session: Session;
  private readonly client: MatrixClient;
  private readonly events: ChatClientEvents;
  private readonly liveFrom = Date.now();

  private constructor(session: Session, client: MatrixClient, events: ChatClientEvents) {
    this.session = session;
    this.client = client;
    this.events = events;
  }

  static async start(session: Session, events: ChatClientEvents): Promise<ChatClient> {
    const client = createClient({
      baseUrl: session.homeserverUrl, userId: session.userId, deviceId: session.deviceId, accessToken: session.accessToken,
      cryptoCallbacks: secretStorageCallbacks,
    });
    await client.initRustCrypto({ cryptoDatabasePrefix: CRYPTO_DB_PREFIX });
    const chat = new ChatClient(session, client, events);
    chat.listen();
    await client.startClient({
      initialSyncLimit: 50, lazyLoadMembers: true,
      // Messages being sent stay apart from the timeline until the server echoes them, so their state shows.
      pendingEventOrdering: PendingEventOrdering.Detached,
    });
    return chat;
  }

  private listen(): void {
    const c = this.client;
    c.on(ClientEvent.Sync, () => this.events.onChange(null));
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
      .map((r) => ({
        roomId: r.roomId,
        name: r.name || r.roomId,
        encrypted: r.hasEncryptionStateEvent(),
        unread: r.getUnreadNotificationCount(),
        lastActivity: r.getLastActiveTimestamp(),
      }))
      .sort((a, b) => b.lastActivity - a.lastActivity);
  }

  roomName(roomId: string): string {
    const r = this.client.getRoom(roomId);
    return r?.name || roomId;
  }

  /** The room's loaded messages, oldest first, then those still being sent. */
  messages(roomId: string): ChatMessage[] {
    const room = this.client.getRoom(roomId);
    if (!room) return [];
    const events = [...room.getLiveTimeline().getEvents(), ...room.getPendingEvents()];
    const seen = new Set<string>();
    const out: ChatMessage[] = [];
    for (const e of events) {
      const m = this.toMessage(e);
      if (m && !seen.has(m.id)) { seen.add(m.id); out.push(m); }
    }
    return out;
  }

  private toMessage(e: MatrixEvent): ChatMessage | null {
    const type = e.getType();
    if (type !== EventType.RoomMessage && type !== EventType.RoomMessageEncrypted) return null;
    if (e.isRedacted()) return null;
    const content = e.getContent();
    const decryptionFailed = e.isDecryptionFailure() || type === EventType.RoomMessageEncrypted;
    const body = !decryptionFailed && typeof content['body'] === 'string' ? content['body'] : null;
    const status = e.status;
    const state: MessageState = status === EventStatus.NOT_SENT ? 'failed'
      : status === EventStatus.SENDING || status === EventStatus.ENCRYPTING || status === EventStatus.QUEUED ? 'sending' : 'sent';
    return { id: e.getId() ?? e.getTxnId() ?? '', sender: e.getSender() ?? '', mine: e.getSender() === this.session.userId, timestamp: e.getTs(), body, state };
  }

  async sendText(roomId: string, body: string): Promise<void> {
    await this.client.sendMessage(roomId, { msgtype: MsgType.Text, body });
  }

  /** Sends any room event (encrypted in an encrypted room), e.g. org.peerline.escalation.suggestion. */
  async sendEvent(roomId: string, type: string, content: Record<string, unknown>): Promise<string> {
    // The SDK's typed overloads know only the spec's event types; custom org.peerline.* types are sent the same way.
    const send = this.client.sendEvent.bind(this.client) as (roomId: string, type: string, content: Record<string, unknown>) => Promise<{ event_id: string }>;
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
    this.client.stopClient();
    try { await this.client.logout(true); } catch { /* offline or already invalid: local data still goes */ }
    try { await this.client.clearStores(); } catch { /* wiped again by the caller */ }
  }

  /** The SDK client, for key-backup.ts (the only other module that speaks matrix-js-sdk). */
  get sdkClient(): MatrixClient { return this.client; }

  stop(): void {
    this.client.stopClient();
  }
}
