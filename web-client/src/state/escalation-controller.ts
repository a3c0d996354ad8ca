// Consented escalation in a student's client (DESIGN.md flow 4). It listens to the store's decrypted
// room events and decides when to ask: a supporter's live `org.peerline.escalation.suggestion`, the
// student's own live messages flagged by the on-device risk detector (thresholds from the policy),
// or the student asking. Only when the student says yes does anything leave the device: the consent
// key is registered, the receipt for exactly the chosen scope is signed, the bridge escalates, and
// the chosen content is posted into the escalation room once a counsellor has joined it (history
// there is visible from joining only, so what is posted earlier could never reach them).
// Nothing here logs, and the risk detector's input and output stay in memory.
import { assessRisk, type RiskLevel } from '../safety/risk-detector.ts';
import { DEFAULT_RISK_SETTINGS, reachesFlag, riskSettingsFrom, type RiskSettings } from '../safety/risk-policy.ts';
import type { ConsentChoice, ConsentKeyStore } from '../safety/consent.ts';
import type * as ConsentModule from '../safety/consent.ts';
import { escalate, fetchRiskDetection, listReceipts, registerConsentKey, type BridgeRequester } from '../bridge/escalation-api.ts';
import { ESCALATION_SUGGESTION_EVENT_TYPE } from '../../../protocol/src/event-types.ts';
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
  /** The bridge has escalated; what was chosen is posted when a counsellor joins the room. */
  | { kind: 'waiting'; roomId: string | null; share: ConsentChoice['share'] }
  | { kind: 'shared'; roomId: string; share: ConsentChoice['share'] }
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

interface PendingShare {
  receiptId: string;
  roomId: string | null;
  choice: ConsentChoice;
  /** The chosen messages' text, captured when the student said yes. */
  messages: ShareCandidate[];
  /** Chosen messages already posted (a failed send resumes after them). */
  sent: number;
  bridgeSaysJoined: boolean;
  pollsSinceJoined: number;
  posting: boolean;
}

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
  private pending: PendingShare | null = null;
  private cancelPoll: (() => void) | null = null;
  private readonly onRoomEvent = (e: Event): void => { void this.roomEvent((e as CustomEvent<RoomEventDetail>).detail); };

  constructor(deps: EscalationDeps) {
    super();
    this.d = deps;
    this.now = deps.now ?? Date.now;
    this.setTimer = deps.setTimer ?? ((fn, ms) => { const t = setTimeout(fn, ms); return () => clearTimeout(t); });
  }

  start(): void { this.d.store.addEventListener('room-event', this.onRoomEvent); }

  stop(): void {
    this.d.store.removeEventListener('room-event', this.onRoomEvent);
    this.cancelPoll?.();
    this.cancelPoll = null;
    this.pending = null;
  }

  /** The signed-in bridge client (null while connecting); the policy's detector settings are read once per client. */
  set bridge(b: BridgeRequester | null) {
    this.bridgeClient = b;
    if (b && this.settingsFor !== b) {
      this.settingsFor = b;
      void fetchRiskDetection(b).then((r) => { this.settings = riskSettingsFrom({ risk_detection: r }); }, () => { /* offline: the defaults hold */ });
    }
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
    if (event.type === 'm.room.member') { this.noteMembership(roomId, event); return; }
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

  /** Hides the waiting or shared status. */
  closeStatus(): void {
    if (this.phase.kind === 'waiting' || this.phase.kind === 'shared') { this.phase = { kind: 'closed' }; this.changed(); }
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
      const chosen = choice.share === 'messages' ? prompt.messages.filter((m) => choice.eventIds.includes(m.eventId)) : [];
      this.pending = { receiptId: view.receipt_id, roomId: view.room_id, choice, messages: chosen, sent: 0, bridgeSaysJoined: false, pollsSinceJoined: 0, posting: false };
      this.phase = { kind: 'waiting', roomId: view.room_id, share: choice.share };
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

  // ---- sharing once the counsellor is in ---------------------------------------------------------

  private noteMembership(roomId: string, event: RoomEventView): void {
    if (event.content['membership'] !== 'join') return;
    const j = this.joins.get(roomId) ?? { me: false, others: false };
    if (event.sender === this.me()) j.me = true;
    else j.others = true;
    this.joins.set(roomId, j);
    if (this.pending?.roomId === roomId) void this.tryShare();
  }

  private schedulePoll(): void {
    this.cancelPoll?.();
    this.cancelPoll = this.setTimer(() => { void this.poll(); }, RECEIPT_POLL_MS);
  }

  /** Asks the bridge what became of the escalation: its room, and whether a counsellor joined. */
  async poll(): Promise<void> {
    const p = this.pending;
    const bridge = this.bridgeClient;
    if (!p) return;
    if (bridge) {
      try {
        const r = (await listReceipts(bridge)).find((x) => x.receipt_id === p.receiptId);
        if (r && (r.withdrawn_ts !== null || r.escalation.status === 'withdrawn' || r.escalation.status === 'resolved')) {
          this.pending = null;
          if (!this.busy()) this.phase = { kind: 'closed' };
          this.changed();
          return;
        }
        if (r?.escalation.room_id && p.roomId === null) {
          p.roomId = r.escalation.room_id;
          if (!this.busy()) this.phase = { kind: 'waiting', roomId: p.roomId, share: p.choice.share };
          this.changed();
          this.enterRoom(p.roomId);
        }
        if (r?.escalation.counsellor_joined) {
          if (p.bridgeSaysJoined) p.pollsSinceJoined++;
          p.bridgeSaysJoined = true;
        }
      } catch { /* offline: asked again at the next poll */ }
    }
    await this.tryShare();
    if (this.pending === p) this.schedulePoll();
  }

  private async tryShare(): Promise<void> {
    const p = this.pending;
    if (!p || p.posting || p.roomId === null) return;
    const j = this.joins.get(p.roomId);
    if (!j?.me) return; // our device is not in the room yet
    if (!j.others && !(p.bridgeSaysJoined && p.pollsSinceJoined >= JOIN_GRACE_POLLS)) return;
    p.posting = true;
    const roomId = p.roomId;
    try {
      await this.post(roomId, p);
    } catch {
      p.posting = false; // tried again at the next poll
      return;
    }
    this.pending = null;
    this.cancelPoll?.();
    this.cancelPoll = null;
    if (!this.busy()) this.phase = { kind: 'shared', roomId, share: p.choice.share };
    this.changed();
  }

  /** Posts exactly what the receipt covers: the summary's text as hashed, or the chosen messages. */
  private async post(roomId: string, p: PendingShare): Promise<void> {
    const c = p.choice;
    if (c.share === 'summary') await this.d.store.sendTextTo(roomId, c.summary);
    else if (c.share === 'messages') {
      for (const m of p.messages.slice(p.sent)) {
        await this.d.store.sendEventTo(roomId, 'm.room.message', {
          msgtype: 'm.text', body: m.body.split('\n').map((l) => `> ${l}`).join('\n'),
          'org.peerline.shared': { event_id: m.eventId, from: m.mine ? 'student' : 'peer' },
        });
        p.sent++;
      }
    }
  }
}

function serverNameOf(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}
