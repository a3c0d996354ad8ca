// The app's state, observed by the views through StoreController. It owns the session's lifecycle:
// sign-in (plain fetch), then the lazily loaded matrix-js-sdk client, and sign-out wiping the device.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ChatClient, ChatMessage, ConnectionState, RoomEventView, RoomKind, RoomSummary } from '../matrix/chat-client.ts';
import type * as ChatClientModule from '../matrix/chat-client.ts';
import { signInWithPassword, SignInError, type Session } from '../matrix/session.ts';
import { signInWithLoginToken } from '../matrix/sso.ts';
import type * as KeyBackupModule from '../matrix/key-backup.ts';
import { registerWithToken, RegistrationError, type RegistrationProblem, type RegistrationRequest } from '../matrix/registration.ts';
import { listDevices, logOutOtherDevices, type DeviceInfo } from '../matrix/devices.ts';
import { forgetSession, loadSession, saveSession, wipeIndexedDb, type KeyValueStorage } from '../platform/storage.ts';
import { browserConnectionHint, setTextOnly, textOnlyPreference, type TextOnlyPreference } from '../platform/text-only.ts';

export type Phase = 'signed-out' | 'signing-in' | 'starting' | 'ready';
export type SignInProblem = 'credentials' | 'network' | 'server' | null;
/** Restoring older messages on a new device: offered when the account has a key backup this device cannot read. */
export type RestoreState = 'none' | 'offer' | 'working' | 'wrong-key' | 'failed';

export interface AppSnapshot {
  phase: Phase;
  userId: string | null;
  rooms: RoomSummary[];
  selectedRoomId: string | null;
  selectedRoomName: string;
  messages: ChatMessage[];
  signInProblem: SignInProblem;
  /** The latest incoming message, for the aria-live region. */
  announcement: { roomName: string; sender: string; body: string | null; seq: number } | null;
  registerProblem: RegistrationProblem | null;
  /** The new recovery key, shown once and then forgotten. */
  recoveryKey: string | null;
  restore: RestoreState;
  // Chat: the open room's details.
  /** Names of the other members typing in the open room. */
  typing: string[];
  connection: ConnectionState;
  /** Older history of the open room: more on the server, being loaded, or all loaded. */
  history: HistoryState;
  selectedRoomKind: RoomKind | null;
  /** My name in the open room (my pseudonym in Peerline rooms), '' while none is set. */
  selectedRoomMyName: string;
}

export type HistoryState = 'more' | 'loading' | 'complete';

type ChatModule = typeof ChatClientModule;

/** Detail of the store's 'room-event' events: every decrypted timeline event (see ChatClientEvents.onRoomEvent). */
export interface RoomEventDetail { roomId: string; event: RoomEventView }

/** Starts fetching matrix-js-sdk and its WASM; called after first paint and again on demand. */
let chatModule: Promise<ChatModule> | null = null;
export function preloadChatClient(): Promise<ChatModule> {
  chatModule ??= import('../matrix/chat-client.ts').catch((e: unknown) => {
    chatModule = null; // offline on a cold cache: the next attempt fetches again
    throw e;
  });
  return chatModule;
}

export class AppStore extends EventTarget {
  private readonly storage: KeyValueStorage;
  private readonly homeserverUrl: () => Promise<string>;
  private client: ChatClient | null = null;
  private seq = 0;
  snapshot: AppSnapshot = {
    phase: 'signed-out', userId: null, rooms: [], selectedRoomId: null, selectedRoomName: '', messages: [], signInProblem: null, announcement: null,
    registerProblem: null, recoveryKey: null, restore: 'none',
    typing: [], connection: 'online', history: 'complete', selectedRoomKind: null, selectedRoomMyName: '',
  };
  private loadingOlder = false;

  /** `homeserverUrl` resolves once the runtime config is read; sign-in is the first to need it. */
  constructor(storage: KeyValueStorage, homeserverUrl: () => Promise<string>) {
    super();
    this.storage = storage;
    this.homeserverUrl = homeserverUrl;
  }

  private set(patch: Partial<AppSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    this.dispatchEvent(new Event('change'));
  }

  /** Resumes a stored session, if there is one. */
  async resume(): Promise<void> {
    const session = loadSession(this.storage);
    if (!session) return;
    try {
      await this.startClient(session);
    } catch {
      // The SDK or its WASM could not load (offline on a cold cache): the session stays stored.
      this.set({ phase: 'signed-out', signInProblem: 'network' });
    }
  }

  async signIn(username: string, password: string): Promise<void> {
    this.set({ phase: 'signing-in', signInProblem: null });
    try {
      const session = await signInWithPassword(await this.homeserverUrl(), username, password);
      saveSession(this.storage, session);
      await this.startClient(session, password);
    } catch (e) {
      const problem: SignInProblem = e instanceof SignInError
        ? (e.errcode === 'M_FORBIDDEN' || e.errcode === 'M_INVALID_USERNAME' || e.errcode === 'M_USER_DEACTIVATED' ? 'credentials' : e.errcode === 'NETWORK' ? 'network' : 'server')
        : 'server';
      this.set({ phase: 'signed-out', signInProblem: problem });
    }
  }

  /**
   * Completes a single sign-on: the homeserver sent the browser back with a one-time `loginToken`
   * (already taken out of the address bar). A session stored meanwhile wins; the token then lapses.
   */
  async signInWithLoginToken(loginToken: string): Promise<void> {
    if (loadSession(this.storage)) return this.resume();
    this.set({ phase: 'signing-in', signInProblem: null });
    try {
      const session = await signInWithLoginToken(await this.homeserverUrl(), loginToken);
      saveSession(this.storage, session);
      // No password: key backup is set up only where the homeserver needs none for the first cross-signing upload.
      await this.startClient(session, null);
    } catch (e) {
      // A spent, expired or forged token is M_FORBIDDEN: "did not work, try again" (no username or password was typed).
      this.set({ phase: 'signed-out', signInProblem: e instanceof SignInError && e.errcode === 'NETWORK' ? 'network' : 'server' });
    }
  }

  /** Creates an account with a registration token and signs in to it. */
  async register(req: RegistrationRequest): Promise<void> {
    this.set({ phase: 'signing-in', registerProblem: null });
    let session: Session;
    try {
      session = await registerWithToken(await this.homeserverUrl(), req);
    } catch (e) {
      this.set({ phase: 'signed-out', registerProblem: e instanceof RegistrationError ? e.problem : 'server' });
      return;
    }
    saveSession(this.storage, session);
    try {
      await this.startClient(session, req.password);
    } catch {
      this.set({ phase: 'signed-out', signInProblem: 'network' });
    }
  }

  /** `password` (just typed, held only for this call) lets the first device set up key backup; null: a fresh SSO sign-in. */
  private async startClient(session: Session, password?: string | null): Promise<void> {
    this.set({ phase: 'starting', userId: session.userId });
    const { ChatClient } = await preloadChatClient();
    this.client = await ChatClient.start(session, {
      onChange: (roomId) => this.refresh(roomId),
      onIncoming: (roomId, m) => {
        this.seq += 1;
        this.set({ announcement: { roomName: this.client?.roomName(roomId) ?? '', sender: m.senderName ?? m.sender, body: m.body, seq: this.seq } });
      },
      onSessionEnded: () => { void this.signOut(); },
      onRoomEvent: (roomId, event) => { this.dispatchEvent(new CustomEvent<RoomEventDetail>('room-event', { detail: { roomId, event } })); },
    }, { textOnly: this.textOnly().on });
    this.set({ phase: 'ready' });
    this.refresh(null);
    void this.checkKeyBackup(password);
  }

  private keyBackup(): Promise<typeof KeyBackupModule> {
    return import('../matrix/key-backup.ts');
  }

  /**
   * First device: set up key backup silently and show the recovery key once. New device: offer to restore.
   * `password` undefined: a resumed session, nothing is set up; null: signed in without one (SSO).
   */
  private async checkKeyBackup(password: string | null | undefined): Promise<void> {
    const c = this.client;
    if (!c) return;
    try {
      const kb = await this.keyBackup();
      const status = await kb.keyBackupStatus(c.sdkClient);
      if (status === 'needs-recovery-key') this.set({ restore: 'offer' });
      else if (status === 'none' && password !== undefined) {
        const recoveryKey = await kb.setUpKeyBackup(c.sdkClient, password);
        if (this.client === c) this.set({ recoveryKey });
      }
    } catch { /* offline or refused: tried again at the next sign-in; chatting works without backup */ }
  }

  dismissRecoveryKey(): void { this.set({ recoveryKey: null }); }
  skipRestore(): void { this.set({ restore: 'none' }); }

  async restoreKeys(recoveryKey: string): Promise<void> {
    const c = this.client;
    if (!c) return;
    this.set({ restore: 'working' });
    try {
      const kb = await this.keyBackup();
      try {
        await kb.restoreWithRecoveryKey(c.sdkClient, recoveryKey);
      } catch (e) {
        this.set({ restore: e instanceof kb.RecoveryKeyError ? 'wrong-key' : 'failed' });
        return;
      }
      this.set({ restore: 'none' });
      this.refresh(null);
    } catch {
      this.set({ restore: 'failed' });
    }
  }

  /** This account's devices, this one first. */
  devices(): Promise<DeviceInfo[]> {
    const c = this.client;
    return c ? listDevices(c.session) : Promise.resolve([]);
  }

  /** Logs out every device but this one; `password` answers the server's confirmation. */
  logOutOtherDevices(password: string): Promise<number> {
    const c = this.client;
    return c ? logOutOtherDevices(c.session, password) : Promise.resolve(0);
  }

  private refresh(roomId: string | null): void {
    const c = this.client;
    if (!c) return;
    const selected = this.snapshot.selectedRoomId;
    const patch: Partial<AppSnapshot> = { rooms: c.rooms(), connection: c.connection() };
    if (selected && (roomId === null || roomId === selected)) {
      patch.messages = c.messages(selected);
      Object.assign(patch, this.roomDetails(c, selected));
    }
    this.set(patch);
  }

  private roomDetails(c: ChatClient, roomId: string): Pick<AppSnapshot, 'selectedRoomName' | 'typing' | 'history' | 'selectedRoomKind' | 'selectedRoomMyName'> {
    return {
      selectedRoomName: c.roomName(roomId),
      typing: c.typing(roomId),
      history: this.loadingOlder ? 'loading' : c.hasOlder(roomId) ? 'more' : 'complete',
      selectedRoomKind: c.roomKind(roomId) ?? null,
      selectedRoomMyName: c.myName(roomId),
    };
  }

  /** Text-only mode on this device (platform/text-only.ts): chosen, suggested by the browser's connection hint, or off. */
  textOnly(): TextOnlyPreference {
    try { return textOnlyPreference(this.storage, browserConnectionHint()); } catch { return { on: false, source: 'default' }; }
  }

  /** Chooses text-only mode on this device; typing and receipts follow now, the lighter sync from the next start. */
  setTextOnly(on: boolean): void {
    setTextOnly(this.storage, on);
    this.client?.setTextOnly(on);
    this.dispatchEvent(new Event('change'));
  }

  /** Tells the open room whether I am typing. */
  setTyping(typing: boolean): void {
    const roomId = this.snapshot.selectedRoomId;
    if (this.client && roomId) void this.client.setTyping(roomId, typing);
  }

  /** Marks the open room read up to its newest event (the view calls this while the room is on screen and focused). */
  markRead(): void {
    const roomId = this.snapshot.selectedRoomId;
    if (this.client && roomId) void this.client.markRead(roomId);
  }

  /** Loads a page of the open room's older history. */
  async loadOlder(): Promise<void> {
    const c = this.client;
    const roomId = this.snapshot.selectedRoomId;
    if (!c || !roomId || this.loadingOlder) return;
    this.loadingOlder = true;
    this.set({ history: 'loading' });
    try { await c.loadOlder(roomId); } catch { /* offline: the next scroll tries again */ }
    this.loadingOlder = false;
    if (this.client === c) this.refresh(roomId);
  }

  /** Leaves the open room and closes it; resolves false when the server could not be reached. */
  async leaveRoom(): Promise<boolean> {
    const c = this.client;
    const roomId = this.snapshot.selectedRoomId;
    if (!c || !roomId) return false;
    try { await c.leave(roomId); } catch { return false; }
    this.selectRoom(null);
    this.refresh(null);
    return true;
  }

  /** Sends an event into any joined room (encrypted where the room is), e.g. a suggestion or shared content. */
  async sendEventTo(roomId: string, type: string, content: Record<string, unknown>): Promise<string> {
    if (!this.client) throw new Error('not signed in');
    return this.client.sendEvent(roomId, type, content);
  }

  /** Sends a text message into any joined room (not only the open one). */
  async sendTextTo(roomId: string, body: string): Promise<void> {
    if (!this.client) throw new Error('not signed in');
    await this.client.sendText(roomId, body);
  }

  /** One message of any room, decrypted on this device (fetched when not loaded), or null. */
  async readMessage(roomId: string, eventId: string): Promise<ChatMessage | null> { return this.client ? this.client.readMessage(roomId, eventId) : null; }

  /** The loaded messages of any room, oldest first (for choosing what to share). */
  messagesOf(roomId: string): ChatMessage[] { return this.client?.messages(roomId) ?? []; }

  /** The signed-in Matrix session (the bridge client asks the homeserver for an OpenID token with it). */
  matrixSession(): Session | null { return this.client?.session ?? null; }

  /** Joins a room the bridge invited us to (plain fetch) and opens it; sync brings its history. */
  async joinAndOpen(roomId: string): Promise<void> {
    const c = this.client;
    if (!c) return;
    const hs = c.session.homeserverUrl.replace(/\/+$/, '');
    try {
      await fetch(`${hs}/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {
        method: 'POST', headers: { Authorization: `Bearer ${c.session.accessToken}`, 'Content-Type': 'application/json' }, body: '{}',
      });
    } catch { /* offline: the invite stays and the room opens once sync catches up */ }
    this.selectRoom(roomId);
  }

  selectRoom(roomId: string | null): void {
    const c = this.client;
    this.set({
      selectedRoomId: roomId,
      messages: roomId && c ? c.messages(roomId) : [],
      ...(roomId && c ? this.roomDetails(c, roomId) : { selectedRoomName: '', typing: [], history: 'complete' as const, selectedRoomKind: null, selectedRoomMyName: '' }),
    });
  }

  async send(body: string): Promise<void> {
    const roomId = this.snapshot.selectedRoomId;
    if (!this.client || !roomId || body.trim() === '') return;
    try {
      await this.client.sendText(roomId, body);
    } catch { /* the message shows as failed, with a retry */ }
    this.refresh(roomId);
  }

  async retry(id: string): Promise<void> {
    const roomId = this.snapshot.selectedRoomId;
    if (!this.client || !roomId) return;
    try { await this.client.retry(roomId, id); } catch { /* stays failed */ }
    this.refresh(roomId);
  }

  /** Logs out on the server and wipes the session, keys and stored data from this device. */
  async signOut(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.logout();
    forgetSession(this.storage);
    await wipeIndexedDb();
    this.set({ phase: 'signed-out', userId: null, rooms: [], selectedRoomId: null, selectedRoomName: '', messages: [], announcement: null, recoveryKey: null, restore: 'none', typing: [], connection: 'online', history: 'complete', selectedRoomKind: null, selectedRoomMyName: '' });
  }
}

/** Re-renders its host whenever the store changes. */
export class StoreController implements ReactiveController {
  private readonly host: ReactiveControllerHost;
  readonly store: AppStore;
  private readonly onChange = (): void => this.host.requestUpdate();

  constructor(host: ReactiveControllerHost, store: AppStore) {
    this.host = host;
    this.store = store;
    host.addController(this);
  }

  get value(): AppSnapshot { return this.store.snapshot; }
  hostConnected(): void { this.store.addEventListener('change', this.onChange); }
  hostDisconnected(): void { this.store.removeEventListener('change', this.onChange); }
}
