// Consented escalation in a student's client (DESIGN.md flow 4). It listens to the store's decrypted
// room events and decides when to ask: a supporter's live `org.peerline.escalation.suggestion`, the
// student's own live messages flagged by the on-device risk detector (thresholds from the policy),
// or the student asking. Only when the student says yes does anything leave the device: the consent
// key is registered, the receipt for exactly the chosen scope is signed, the bridge escalates, and
// the chosen content is posted into the escalation room once a counsellor has joined it (history
// there is visible from joining only, so what is posted earlier could never reach them). Until then
// the content waits on the device (state/pending-shares.ts), so a reload or a closed tab loses nothing:
// on start the controller resumes waiting. Each item is claimed before it is sent, so it is posted
// once even with two tabs open. While waiting, the student can withdraw, and nothing is ever posted.
// Nothing here logs, and the risk detector's input and output stay in memory.
import { assessRisk, type RiskLevel } from '../safety/risk-detector.ts';
import { DEFAULT_RISK_SETTINGS, reachesFlag, riskSettingsFrom, type RiskSettings } from '../safety/risk-policy.ts';
import type { ConsentChoice, ConsentKeyStore } from '../safety/consent.ts';
import type * as ConsentModule from '../safety/consent.ts';
import { escalate, fetchEscalationPolicy, listReceipts, registerConsentKey, withdrawConsent, type BridgeRequester, type ReceiptView } from '../bridge/escalation-api.ts';
import { claimItem, indexedDbPendingShareStore, memoryPendingShareStore, type PendingShareItem, type PendingShareRecord, type PendingShareStore } from './pending-shares.ts';
import { ESCALATION_SUGGESTION_EVENT_TYPE } from '../../../protocol/src/event-type-names.ts';
import type { SeverityLevel } from '../../../protocol/src/common-schemas.ts';
import type { ChatMessage, RoomEventView } from '../matrix/chat-client.ts';
import type { Session } from '../matrix/session.ts';
import type { RoomEventDetail } from './app-store.ts';

export type EscalationTrigger = 'student' | 'suggestion' | 'detector';

/** A decrypted message of the peer room the student may choose to share (text stays in memory). */
export interface ShareCandidate { eventId: string; sender: string; mine: boolean; body: string }

/** What the consent dialog is asked with. */
export interface EscalationPrompt {
  trigger: EscalationTrigger;
  /** The peer room the escalation comes from. */
  roomId: string;
  severity: SeverityLevel;
  /** The supporter's note to the student, when their suggestion carried one. */
  note: string | null;
  messages: ShareCandidate[];
}

export type EscalationProblem = 'network' | 'refused' | 'no-bridge';

export type EscalationPhase =
  | { kind: 'idle' }
  | { kind: 'asking'; prompt: EscalationPrompt }
  | { kind: 'sending'; prompt: EscalationPrompt }
  | { kind: 'failed'; prompt: EscalationPrompt; problem: EscalationProblem }
  /**
   * The bridge has escalated; what was chosen is posted when a counsellor joins the room. Until then
   * the student may withdraw (`withdrawal` says how that is going).
   */
  | { kind: 'waiting'; roomId: string | null; share: ConsentChoice['share']; receiptId: string; withdrawal: 'none' | 'working' | 'failed' }
  | { kind: 'shared'; roomId: string; share: ConsentChoice['share'] }
  /** Withdrawn before a counsellor joined: nothing was posted, and the chosen content is deleted. */
  | { kind: 'withdrawn' }
  /** A counsellor joined just before the withdrawal reached the bridge; `sent` says whether anything chosen had been posted. */
  | { kind: 'too-late'; roomId: string | null; sent: boolean }
  | { kind: 'closed' };

/** The store as the controller uses it: room events in, messages to choose from, sends out. */
export interface EscalationStore extends EventTarget {
  messagesOf(roomId: string): ChatMessage[];
  sendTextTo(roomId: string, body: string): Promise<void>;
  sendEventTo(roomId: string, type: string, content: Record<string, unknown>): Promise<string>;
  matrixSession(): Session | null;
}

export interface EscalationDeps {
  store: EscalationStore;
  /** Asks the app to join a room the bot invited us to and show it. */
  openRoom(roomId: string): void;
  /** The kind in a room's org.peerline.session state ('peer', 'group', 'escalation'), or null. */
  roomKind(roomId: string): Promise<string | null>;
  /** Where the device keeps its consent key; IndexedDB (safety/consent.ts) unless given. */
  keyStore?: () => ConsentKeyStore;
  /** The consent module (libsodium), loaded only when the student says yes. */
  loadConsent?: () => Promise<typeof ConsentModule>;
  /** Where content waits to be shared; IndexedDB (state/pending-shares.ts) unless given. */
  pendingShares?: () => PendingShareStore;
  /** The joined members of a room (null when we are not in it or it is unknown), asked when resuming after a reload. */
  joinedMembers?: (roomId: string) => Promise<string[] | null>;
  /** This page's id for claiming items to send (random unless given). */
  pageId?: string;
  now?: () => number;
  /** Timer for checking whether the counsellor has joined; returns a cancel function. */
  setTimer?: (fn: () => void, ms: number) => () => void;
}

/** How often the bridge is asked whether a counsellor has joined (and the room exists). */
export const RECEIPT_POLL_MS = 3000;
/**
 * Polls to wait, after the bridge reports a counsellor joined, for their join in our own timeline.
 * Seeing it there means our room keys will be shared with them; if it never comes, they joined
 * before us and our device already counts them as a member.
 */
const JOIN_GRACE_POLLS = 2;

const LEVEL_SEVERITY: Record<Exclude<RiskLevel, 'none'>, SeverityLevel> = { elevated: 'medium', high: 'high', critical: 'critical' };
const SEVERITY_RANK: Record<SeverityLevel, number> = { low: 0, medium: 1, high: 2, critical: 3 };
const SEVERITIES = new Set<string>(['low', 'medium', 'high', 'critical']);

const DAY_MS = 86_400_000;

/** An escalation waiting for a counsellor; its content (if any) is in the pending-share store. */
interface PendingShare {
  escalationId: string;
  receiptId: string;
  roomId: string | null;
  share: ConsentChoice['share'];
  createdTs: number;
  bridgeSaysJoined: boolean;
  pollsSinceJoined: number;
  posting: boolean;
  withdrawing: boolean;
}

type ShareOutcome = 'done' | 'later' | 'gone';

export class EscalationController extends EventTarget {
  private readonly d: EscalationDeps;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => () => void;
  private bridgeClient: BridgeRequester | null = null;
  private settingsFor: BridgeRequester | null = null;
  settings: RiskSettings = { ...DEFAULT_RISK_SETTINGS };
  phase: EscalationPhase = { kind: 'idle' };
  /** A flag below the policy's level for a consent offer (or after a no): crisis resources, gently. */
  gentleNotice: { roomId: string } | null = null;
  private readonly assessed = new Set<string>();
  /** The highest level the student declined an offer at, per room: the detector does not ask again below it. */
  private readonly declinedAt = new Map<string, number>();
  private readonly roomSeverity = new Map<string, SeverityLevel>();
  private readonly kinds = new Map<string, Promise<string | null>>();
  private readonly escalationRooms = new Set<string>();
  /** m.room.member joins seen in each room's timeline: by us, by someone else. */
  private readonly joins = new Map<string, { me: boolean; others: boolean }>();
  /** Who created each room (the bridge's bot, in escalation rooms). */
  private readonly creators = new Map<string, string>();
  private readonly pendings = new Map<string, PendingShare>();
  /** Shared items seen in our own timeline ("receiptId#index"): they need no second post. */
  private readonly seenShared = new Set<string>();
  private shares: PendingShareStore;
  private readonly pageId: string;
  private escalationRetentionDays: number | null = null;
  private resumed = false;
  private stopped = false;
  private cancelPoll: (() => void) | null = null;
  private readonly onRoomEvent = (e: Event): void => { void this.roomEvent((e as CustomEvent<RoomEventDetail>).detail); };

  constructor(deps: EscalationDeps) {
    super();
    this.d = deps;
    this.now = deps.now ?? Date.now;
    this.setTimer = deps.setTimer ?? ((fn, ms) => { const t = setTimeout(fn, ms); return () => clearTimeout(t); });
    this.shares = deps.pendingShares ? deps.pendingShares() : ('indexedDB' in globalThis ? indexedDbPendingShareStore() : memoryPendingShareStore());
    this.pageId = deps.pageId ?? (globalThis.crypto?.randomUUID?.() ?? `${Math.random()}`);
  }

  /** Listens to the store and resumes waiting for whatever the device still holds to share. */
  start(): void {
    this.d.store.addEventListener('room-event', this.onRoomEvent);
    void this.resume();
  }

  stop(): void {
    this.stopped = true;
    this.d.store.removeEventListener('room-event', this.onRoomEvent);
    this.cancelPoll?.();
    this.cancelPoll = null;
    this.pendings.clear();
  }

  /** The signed-in bridge client (null while connecting); the policy's detector settings are read once per client. */
  set bridge(b: BridgeRequester | null) {
    this.bridgeClient = b;
    if (b && this.settingsFor !== b) {
      this.settingsFor = b;
      void fetchEscalationPolicy(b).then((r) => {
        this.settings = riskSettingsFrom({ risk_detection: r.risk_detection });
        this.escalationRetentionDays = r.escalation_retention_days;
      }, () => { /* offline: the defaults hold */ });
    }
    if (b && !this.resumed) void this.resume();
  }
  get bridge(): BridgeRequester | null { return this.bridgeClient; }

  private changed(): void { this.dispatchEvent(new Event('change')); }

  private me(): string | null { return this.d.store.matrixSession()?.userId ?? null; }

  private kindOf(roomId: string): Promise<string | null> {
    if (this.escalationRooms.has(roomId)) return Promise.resolve('escalation');
    let k = this.kinds.get(roomId);
    if (!k) {
      k = this.d.roomKind(roomId).catch(() => null);
      this.kinds.set(roomId, k);
    }
    return k;
  }

  // ---- triggers --------------------------------------------------------------------------------

  private async roomEvent({ roomId, event }: RoomEventDetail): Promise<void> {
    if (event.type === 'm.room.create') { this.creators.set(roomId, event.sender); return; }
    if (event.type === 'm.room.member') { this.noteMembership(roomId, event); return; }
    if (event.mine && event.type === 'm.room.message') this.noteShared(event);
    if (!event.live) return;
    if (event.type === ESCALATION_SUGGESTION_EVENT_TYPE && !event.mine) await this.suggestion(roomId, event);
    else if (event.type === 'm.room.message' && event.mine) await this.ownMessage(roomId, event);
  }

  private async suggestion(roomId: string, event: RoomEventView): Promise<void> {
    const c = event.content;
    const severity = typeof c['suggested_severity'] === 'string' && SEVERITIES.has(c['suggested_severity']) ? (c['suggested_severity'] as SeverityLevel) : null;
    if (severity === null || typeof c['reason'] !== 'string') return; // not a suggestion we can read
    if (this.busy() || (await this.kindOf(roomId)) === 'escalation') return;
    const note = typeof c['text'] === 'string' && c['text'].trim() !== '' ? c['text'].slice(0, 2000) : null;
    this.ask({ trigger: 'suggestion', roomId, severity: this.maxSeverity(roomId, severity), note, messages: this.candidates(roomId) });
  }

  private async ownMessage(roomId: string, event: RoomEventView): Promise<void> {
    const body = event.content['body'];
    if (!this.settings.enabled || typeof body !== 'string' || event.content['msgtype'] === 'm.notice') return;
    if (this.assessed.has(event.id)) return; // local echo and remote echo are one message
    this.assessed.add(event.id);
    const { level } = assessRisk(body, this.settings.thresholds);
    if (level === 'none') return;
    if ((await this.kindOf(roomId)) === 'escalation') return; // a counsellor is already there
    const severity = this.maxSeverity(roomId, LEVEL_SEVERITY[level]);
    this.roomSeverity.set(roomId, severity);
    const declined = this.declinedAt.get(roomId) ?? -1;
    if (reachesFlag(level, this.settings.flagAt) && SEVERITY_RANK[LEVEL_SEVERITY[level]] > declined && !this.busy()) {
      this.ask({ trigger: 'detector', roomId, severity, note: null, messages: this.candidates(roomId) });
    } else if (!this.busy()) {
      this.gentleNotice = { roomId };
      this.changed();
    }
  }

  /** The student asked ("Talk to a counsellor"). */
  request(roomId: string): void {
    if (this.phase.kind === 'sending') return;
    this.ask({ trigger: 'student', roomId, severity: this.maxSeverity(roomId, 'medium'), note: null, messages: this.candidates(roomId) });
  }

  private busy(): boolean {
    return this.phase.kind === 'asking' || this.phase.kind === 'sending' || this.phase.kind === 'failed';
  }

  private maxSeverity(roomId: string, s: SeverityLevel): SeverityLevel {
    const known = this.roomSeverity.get(roomId);
    return known && SEVERITY_RANK[known] > SEVERITY_RANK[s] ? known : s;
  }

  private candidates(roomId: string): ShareCandidate[] {
    return this.d.store.messagesOf(roomId)
      .filter((m) => m.body !== null && m.state === 'sent' && m.id.startsWith('$'))
      .map((m) => ({ eventId: m.id, sender: m.sender, mine: m.mine, body: m.body! }));
  }

  private ask(prompt: EscalationPrompt): void {
    this.gentleNotice = null;
    this.phase = { kind: 'asking', prompt };
    this.changed();
  }

  dismissNotice(): void {
    this.gentleNotice = null;
    this.changed();
  }

  /** Offers the consent dialog from the gentle notice. */
  acceptNotice(): void {
    const n = this.gentleNotice;
    if (n) this.request(n.roomId);
  }

  // ---- answers ---------------------------------------------------------------------------------

  /** The student said no (or closed the dialog): nothing is sent anywhere. */
  decline(): void {
    const p = this.phase;
    if (p.kind !== 'asking' && p.kind !== 'failed') return;
    const rank = SEVERITY_RANK[p.prompt.severity];
    this.declinedAt.set(p.prompt.roomId, Math.max(rank, this.declinedAt.get(p.prompt.roomId) ?? -1));
    this.phase = { kind: 'idle' };
    this.changed();
  }

  /** Tries again after a failure: the same question, asked afresh. */
  retry(): void {
    const p = this.phase;
    if (p.kind === 'failed') { this.phase = { kind: 'asking', prompt: p.prompt }; this.changed(); }
  }

  /** Hides the waiting, shared or withdrawn status (waiting goes on out of sight). */
  closeStatus(): void {
    const k = this.phase.kind;
    if (k === 'waiting' || k === 'shared' || k === 'withdrawn' || k === 'too-late') { this.phase = { kind: 'closed' }; this.changed(); }
  }

  /** The student said yes to exactly `choice`: register the key, sign, escalate, then share. */
  async consent(choice: ConsentChoice): Promise<void> {
    const p = this.phase;
    if (p.kind !== 'asking') return;
    const prompt = p.prompt;
    const bridge = this.bridgeClient;
    const session = this.d.store.matrixSession();
    if (!bridge || !session) { this.phase = { kind: 'failed', prompt, problem: 'no-bridge' }; this.changed(); return; }
    this.phase = { kind: 'sending', prompt };
    this.changed();
    try {
      const consent = await (this.d.loadConsent ?? (() => import('../safety/consent.ts')))();
      const keyPair = await this.registeredKey(consent, bridge);
      const signed = await consent.signConsent({
        keyPair, studentUserId: session.userId, roomId: prompt.roomId, institution: serverNameOf(session.userId),
        severity: prompt.severity, choice, now: this.now(),
      });
      const view = await escalate(bridge, signed, signed.receipt.scope);
      const p: PendingShare = {
        escalationId: view.escalation_id, receiptId: view.receipt_id, roomId: view.room_id, share: choice.share, createdTs: this.now(),
        bridgeSaysJoined: false, pollsSinceJoined: 0, posting: false, withdrawing: false,
      };
      // The chosen content goes to the device's store before anything else, so a reload cannot lose it.
      if (choice.share !== 'nothing') await this.keep(recordOf(p, session.userId, choice, prompt.messages));
      this.pendings.set(p.escalationId, p);
      this.phase = waitingPhase(p);
      this.changed();
      if (view.room_id) this.enterRoom(view.room_id);
      this.schedulePoll();
    } catch (e) {
      const status = (e as { status?: unknown }).status;
      this.phase = { kind: 'failed', prompt, problem: typeof status === 'number' && status >= 400 ? 'refused' : 'network' };
      this.changed();
    }
  }

  /** The device's consent key, registered as current at the bridge (a new one if this one was retired). */
  private async registeredKey(consent: typeof ConsentModule, bridge: BridgeRequester): Promise<ConsentModule.ConsentKeyPair> {
    const store = this.d.keyStore ? this.d.keyStore() : consent.indexedDbConsentKeyStore();
    let { keyPair } = await consent.loadOrCreateConsentKey(store);
    try {
      await registerConsentKey(bridge, consent.consentKeyRegistration(keyPair));
    } catch (e) {
      if ((e as { errcode?: unknown }).errcode !== 'ORG.PEERLINE.CONSENT_KEY_RETIRED') throw e;
      // Another device of this account registered its key since: this device makes a new one.
      await store.clear();
      ({ keyPair } = await consent.loadOrCreateConsentKey(store));
      await registerConsentKey(bridge, consent.consentKeyRegistration(keyPair));
    }
    return keyPair;
  }

  private enterRoom(roomId: string): void {
    this.escalationRooms.add(roomId);
    this.d.openRoom(roomId);
  }

  // ---- waiting, resuming, sharing once the counsellor is in --------------------------------------

  /** Keeps a record in the pending-share store; where the device has no usable IndexedDB, in memory for this page. */
  private async keep(record: PendingShareRecord): Promise<void> {
    try {
      await this.shares.put(record);
    } catch {
      this.shares = memoryPendingShareStore();
      await this.shares.put(record);
    }
  }

  private async forget(escalationId: string): Promise<void> {
    if (this.stopped) return; // signed out: the store is being wiped with the rest of the device
    await this.shares.delete(escalationId).catch(() => { /* deleted at the next start, or by the sign-out wipe */ });
  }

  private expired(createdTs: number): boolean {
    return this.escalationRetentionDays !== null && this.now() >= createdTs + this.escalationRetentionDays * DAY_MS;
  }

  /** Picks up what this device still holds to share for this account (after a reload or a closed tab). */
  private async resume(): Promise<void> {
    const me = this.me();
    if (this.resumed || !me) return;
    this.resumed = true;
    let records: PendingShareRecord[];
    try { records = await this.shares.all(); } catch { return; }
    for (const r of records.sort((x, y) => x.createdTs - y.createdTs)) {
      if (this.stopped) return;
      if (r.userId !== me || this.expired(r.createdTs)) { await this.forget(r.escalationId); continue; }
      if (this.pendings.has(r.escalationId)) continue;
      const p: PendingShare = {
        escalationId: r.escalationId, receiptId: r.receiptId, roomId: r.roomId, share: r.share, createdTs: r.createdTs,
        bridgeSaysJoined: false, pollsSinceJoined: 0, posting: false, withdrawing: false,
      };
      this.pendings.set(p.escalationId, p);
      if (!this.busy()) this.phase = waitingPhase(p);
      if (p.roomId) await this.rejoin(p.roomId);
    }
    if (this.pendings.size > 0) {
      this.changed();
      this.schedulePoll();
    }
  }

  /** After a reload our join is in history we did not see: ask whether we are in the room, and join if not. */
  private async rejoin(roomId: string): Promise<void> {
    const me = this.me();
    const members = await (this.d.joinedMembers?.(roomId) ?? Promise.resolve(null)).catch(() => null);
    if (me && members?.includes(me)) {
      this.escalationRooms.add(roomId);
      const j = this.joins.get(roomId) ?? { me: false, others: false };
      j.me = true;
      this.joins.set(roomId, j);
    } else {
      this.enterRoom(roomId);
    }
  }

  private noteMembership(roomId: string, event: RoomEventView): void {
    if (event.content['membership'] !== 'join') return;
    // The bridge's bot made the room and joined it first: its join is no counsellor's. (m.room.create
    // comes before every other event, so a timeline that holds the bot's join holds it too.)
    if (event.sender === this.creators.get(roomId)) return;
    const j = this.joins.get(roomId) ?? { me: false, others: false };
    if (event.sender === this.me()) j.me = true;
    else j.others = true;
    this.joins.set(roomId, j);
    for (const p of this.pendings.values()) if (p.roomId === roomId) void this.tryShare(p);
  }

  private noteShared(event: RoomEventView): void {
    const m = event.content['org.peerline.shared'] as { receipt_id?: unknown; item?: unknown } | undefined;
    if (m && typeof m.receipt_id === 'string' && typeof m.item === 'number') this.seenShared.add(`${m.receipt_id}#${m.item}`);
  }

  private schedulePoll(): void {
    this.cancelPoll?.();
    if (this.stopped || this.pendings.size === 0) { this.cancelPoll = null; return; }
    this.cancelPoll = this.setTimer(() => { void this.poll(); }, RECEIPT_POLL_MS);
  }

  /** Asks the bridge what became of each waiting escalation: its room, whether a counsellor joined, whether it closed. */
  async poll(): Promise<void> {
    if (this.pendings.size === 0) return;
    const bridge = this.bridgeClient;
    let receipts: ReceiptView[] | null = null;
    if (bridge) {
      try { receipts = await listReceipts(bridge); } catch { /* offline: asked again at the next poll */ }
    }
    for (const p of [...this.pendings.values()]) {
      if (this.stopped) return;
      const r = receipts?.find((x) => x.receipt_id === p.receiptId);
      if (r && (r.withdrawn_ts !== null || r.escalation.status === 'withdrawn' || r.escalation.status === 'resolved')) {
        await this.drop(p, r.withdrawn_ts !== null || r.escalation.status === 'withdrawn' ? 'withdrawn' : 'closed');
        continue;
      }
      if (this.expired(p.createdTs)) { await this.drop(p, 'closed'); continue; }
      if (r?.escalation.room_id && p.roomId === null) {
        p.roomId = r.escalation.room_id;
        const roomId = p.roomId;
        await this.shares.update(p.escalationId, (x) => { if (x) x.roomId = roomId; }).catch(() => undefined);
        if (this.shows(p)) this.phase = waitingPhase(p);
        this.changed();
        this.enterRoom(roomId);
      }
      if (r?.escalation.counsellor_joined) {
        if (p.bridgeSaysJoined) p.pollsSinceJoined++;
        p.bridgeSaysJoined = true;
      }
      await this.tryShare(p);
    }
    this.schedulePoll();
  }

  /** Whether the status on screen is about `p`. */
  private shows(p: PendingShare): boolean {
    return this.phase.kind === 'waiting' && this.phase.receiptId === p.receiptId;
  }

  /** Forgets `p` and its content, and says how it ended where the student is looking at it. */
  private async drop(p: PendingShare, how: 'shared' | 'withdrawn' | 'closed'): Promise<void> {
    this.pendings.delete(p.escalationId);
    await this.forget(p.escalationId);
    if (this.shows(p) || (how === 'shared' && !this.busy())) {
      this.phase = how === 'shared' && p.roomId ? { kind: 'shared', roomId: p.roomId, share: p.share } : how === 'withdrawn' ? { kind: 'withdrawn' } : { kind: 'closed' };
    }
    this.changed();
    if (this.pendings.size === 0) { this.cancelPoll?.(); this.cancelPoll = null; }
  }

  private async tryShare(p: PendingShare): Promise<void> {
    if (p.posting || p.withdrawing || p.roomId === null || !this.pendings.has(p.escalationId)) return;
    const j = this.joins.get(p.roomId);
    if (!j?.me) return; // our device is not in the room yet
    if (!j.others && !(p.bridgeSaysJoined && p.pollsSinceJoined >= JOIN_GRACE_POLLS)) return;
    p.posting = true;
    let outcome: ShareOutcome;
    try {
      outcome = p.share === 'nothing' ? 'done' : await this.postItems(p, p.roomId);
    } catch {
      outcome = 'later'; // tried again at the next poll
    }
    p.posting = false;
    // 'gone': another page of this device posted it all (and deleted the record) meanwhile.
    if (outcome !== 'later' && this.pendings.has(p.escalationId)) await this.drop(p, 'shared');
  }

  /**
   * Posts each item not yet posted, exactly as the receipt covers it: claimed in the store first (so
   * no other page sends it too), then sent, then marked posted. An item whose claim was taken over
   * from a page that died mid-send is sent only if our own timeline does not show it already.
   */
  private async postItems(p: PendingShare, roomId: string): Promise<ShareOutcome> {
    const record = await this.shares.get(p.escalationId);
    if (!record) return 'gone';
    for (const [index, item] of record.items.entries()) {
      if (p.withdrawing || this.stopped) return 'later';
      const claim = await this.shares.update(p.escalationId, (r) => claimItem(r, index, this.pageId, this.now()));
      if (claim === 'posted') continue;
      if (claim === 'busy') return 'later';
      if (claim === 'gone') return record.withdrawing ? 'later' : 'gone';
      if (claim === 'retake' && this.alreadyPosted(roomId, p.receiptId, index, item)) {
        await this.markPosted(p.escalationId, index);
        continue;
      }
      try {
        await this.d.store.sendEventTo(roomId, 'm.room.message', sharedContent(p.receiptId, index, item));
      } catch (e) {
        await this.shares.update(p.escalationId, (r) => { const it = r?.items[index]; if (it?.claim?.by === this.pageId) it.claim = null; }).catch(() => undefined);
        throw e;
      }
      await this.markPosted(p.escalationId, index);
    }
    return 'done';
  }

  private markPosted(escalationId: string, index: number): Promise<void> {
    return this.shares.update(escalationId, (r) => { const it = r?.items[index]; if (it) { it.posted = true; it.claim = null; } });
  }

  private alreadyPosted(roomId: string, receiptId: string, index: number, item: PendingShareItem): boolean {
    return this.seenShared.has(`${receiptId}#${index}`)
      || this.d.store.messagesOf(roomId).some((m) => m.mine && m.id.startsWith('$') && m.body === item.body);
  }

  // ---- withdrawing while waiting -----------------------------------------------------------------

  /**
   * The student withdraws the escalation on screen while no counsellor has joined: no page posts its
   * content meanwhile, the bridge closes it, and the content is deleted without ever being posted.
   */
  async withdraw(): Promise<void> {
    const ph = this.phase;
    if (ph.kind !== 'waiting' || ph.withdrawal === 'working') return;
    const p = [...this.pendings.values()].find((x) => x.receiptId === ph.receiptId) ?? null;
    this.phase = { ...ph, withdrawal: 'working' };
    this.changed();
    const hold = (on: boolean) => p ? this.shares.update(p.escalationId, (r) => { if (r) r.withdrawing = on; }).catch(() => undefined) : Promise.resolve();
    if (p) p.withdrawing = true;
    await hold(true);
    try {
      const bridge = this.bridgeClient;
      if (!bridge) throw Object.assign(new Error('not connected'), { status: 0 });
      await withdrawConsent(bridge, ph.receiptId);
      if (p) await this.drop(p, 'withdrawn');
      else { this.phase = { kind: 'withdrawn' }; this.changed(); }
    } catch (e) {
      const errcode = (e as { errcode?: unknown }).errcode;
      const status = (e as { status?: unknown }).status;
      if (errcode === 'ORG.PEERLINE.CONSENT_ALREADY_SHARED') {
        // A counsellor joined first. The student asked to withdraw, so what is not posted yet never is.
        const r = p ? await this.shares.get(p.escalationId).catch(() => null) : null;
        // No record left of content that was chosen: another page of this device posted it all.
        const sent = r ? r.items.some((i) => i.posted) : p !== null && p.share !== 'nothing';
        if (p) { this.pendings.delete(p.escalationId); await this.forget(p.escalationId); }
        this.phase = { kind: 'too-late', roomId: p?.roomId ?? ph.roomId, sent };
        this.changed();
      } else if (typeof status === 'number' && status === 409) {
        // Already withdrawn (another tab) or closed meanwhile.
        if (p) await this.drop(p, errcode === 'ORG.PEERLINE.CONSENT_ALREADY_WITHDRAWN' ? 'withdrawn' : 'closed');
        else { this.phase = { kind: 'closed' }; this.changed(); }
      } else {
        if (p) p.withdrawing = false;
        await hold(false);
        if (this.phase.kind === 'waiting' && this.phase.receiptId === ph.receiptId) this.phase = { ...this.phase, withdrawal: 'failed' };
        this.changed();
        if (p) void this.tryShare(p);
      }
    }
  }
}

function waitingPhase(p: PendingShare): EscalationPhase {
  return { kind: 'waiting', roomId: p.roomId, share: p.share, receiptId: p.receiptId, withdrawal: 'none' };
}

/** The record kept on the device: the summary as hashed in the receipt, or the chosen messages' text. */
function recordOf(p: PendingShare, userId: string, choice: ConsentChoice, candidates: ShareCandidate[]): PendingShareRecord {
  const items: PendingShareItem[] = choice.share === 'summary'
    ? [{ body: choice.summary, quotes: null, posted: false, claim: null }]
    : choice.share === 'messages'
      ? candidates.filter((m) => choice.eventIds.includes(m.eventId)).map((m) => ({
        body: m.body.split('\n').map((l) => `> ${l}`).join('\n'), quotes: { event_id: m.eventId, from: m.mine ? 'student' as const : 'peer' as const }, posted: false, claim: null,
      }))
      : [];
  return {
    escalationId: p.escalationId, receiptId: p.receiptId, roomId: p.roomId, userId, share: choice.share === 'nothing' ? 'summary' : choice.share,
    items, createdTs: p.createdTs, withdrawing: false,
  };
}

/** The event content of a shared item; the marker lets our own timeline show it was posted. */
function sharedContent(receiptId: string, index: number, item: PendingShareItem): Record<string, unknown> {
  return { msgtype: 'm.text', body: item.body, 'org.peerline.shared': { ...(item.quotes ?? {}), receipt_id: receiptId, item: index } };
}

function serverNameOf(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}
