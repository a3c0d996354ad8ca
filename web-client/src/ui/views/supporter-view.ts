// The supporter desk: availability and topics (with the training behind them), the live queue of
// requests offered to this supporter (long-polled while the desk is open), the caseload of active
// sessions — open, suggest a counsellor, end with a wrap-up — and the support groups they run.
import { html, css, nothing } from 'lit';
import { msg, str } from '@lit/localize';
import { DeskView } from './desk-view.ts';
import { BridgeError, type BridgeClient, type BridgeTopic } from '../../bridge/bridge-client.ts';
import {
  acceptOffer, declineOffer, endSession, getSession, getAvailability, listGroups, listOffers, listSessions, openGroup, ownSupporterRecord, putAvailability,
  type AvailabilityView, type GroupView, type OfferView, type PeerSessionView, type SupporterRecordView,
} from '../../bridge/supporter-api.ts';
import { ESCALATION_SUGGESTION_EVENT_TYPE } from '../../../../protocol/src/event-type-names.ts';
import type { AvailabilityChange } from '../components/supporter-availability/supporter-availability.component.ts';
import type { EndSessionDetail, SuggestEscalationDetail } from '../components/supporter-caseload/supporter-caseload.component.ts';
import type { OpenGroupDetail, SupporterGroups } from '../components/supporter-groups/supporter-groups.component.ts';
import { topicLabel } from '../components/supporter-shared/supporter.styles.ts';
import '../components/supporter-availability/supporter-availability.component.ts';
import '../components/supporter-queue/supporter-queue.component.ts';
import '../components/supporter-caseload/supporter-caseload.component.ts';
import '../components/supporter-groups/supporter-groups.component.ts';
import '../components/supervision-supporter/supervision-supporter.component.ts';
import type { TrainingOpenDetail } from '../components/supporter-availability/supporter-availability.component.ts';
import type { SupporterTraining } from '../components/supporter-training/supporter-training.component.ts';
import '../components/supporter-training/supporter-training.component.ts';
import { myFeedback, type SupporterFeedbackView } from '../../bridge/feedback-api.ts';
import '../components/feedback-summary/feedback-summary.component.ts';

/** How long one GET /v1/offers is held when nothing is pending. */
const LONG_POLL_MS = 25_000;
/** With offers pending the bridge answers at once; look again this often (withdrawn or expired ones go). */
const PENDING_POLL_MS = 3_000;
const RETRY_MS = 3_000;

/** The bridge no longer has the offer (taken, expired or withdrawn). */
const offerGone = (err: unknown): boolean => err instanceof BridgeError && (err.status === 409 || err.status === 404);

export class SupporterView extends DeskView {
  static override properties = {
    topics: { state: true }, availability: { state: true }, record: { state: true }, offers: { state: true }, sessions: { state: true },
    groups: { state: true }, busy: { state: true }, busyOfferId: { state: true }, busySessionId: { state: true },
    announcement: { state: true }, problem: { state: true }, offline: { state: true }, feedback: { state: true }, feedbackProblem: { state: true },
  };
  static override styles = css`
    :host { display: block; max-width: 52rem; margin: 0 auto; padding: var(--pl-space-3); }
    h1 { font-size: 1.5rem; margin: 0 0 var(--pl-space-2); }
    h1:focus { outline: none; }
    .desk { display: grid; gap: var(--pl-space-4); }
    .status { font-weight: 700; margin: 0; min-height: 1.5em; }
    .problem { color: var(--pl-danger); border-left: 4px solid var(--pl-danger); padding-left: var(--pl-space-2); margin: 0 0 var(--pl-space-2); }
    .muted { color: var(--pl-text-muted); }
    @media (min-width: 60rem) { .desk { grid-template-columns: 1fr 1fr; } .wide { grid-column: 1 / -1; } }
  `;
  declare topics: BridgeTopic[];
  declare availability: AvailabilityView | null;
  declare record: SupporterRecordView | null;
  declare offers: OfferView[];
  declare sessions: PeerSessionView[];
  declare groups: GroupView[];
  declare busy: boolean;
  declare busyOfferId: string | null;
  declare busySessionId: string | null;
  /** The latest status change, for the polite live region. */
  declare announcement: string;
  declare problem: string;
  /** The queue could not be reached (shown without interrupting). */
  declare offline: boolean;
  /** The supporter's own anonymous feedback (released in batches of ≥5), null while loading. */
  declare feedback: SupporterFeedbackView | null;
  declare feedbackProblem: boolean;

  private poll: AbortController | null = null;
  private started: BridgeClient | null = null;

  constructor() {
    super();
    this.topics = [];
    this.availability = null;
    this.record = null;
    this.offers = [];
    this.sessions = [];
    this.groups = [];
    this.busy = false;
    this.busyOfferId = null;
    this.busySessionId = null;
    this.announcement = '';
    this.problem = '';
    this.offline = false;
    this.feedback = null;
    this.feedbackProblem = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.poll?.abort();
    this.poll = null;
    this.started = null;
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('bridge')) this.start();
  }

  /** Loads the desk and starts following the queue, once per bridge client while connected. */
  private start(): void {
    const b = this.bridge;
    if (!b || !this.isConnected || this.started === b) return;
    this.started = b;
    this.poll?.abort();
    const ctl = new AbortController();
    this.poll = ctl;
    void this.load(b).then(() => this.follow(b, ctl.signal));
  }

  private async load(b: BridgeClient): Promise<void> {
    myFeedback(b).then((f) => { this.feedback = f; }, () => { this.feedbackProblem = true; });
    const [topics, availability, record, sessions, groups] = await Promise.allSettled([
      b.topics(), getAvailability(b), ownSupporterRecord(b), listSessions(b), listGroups(b),
    ]);
    if (topics.status === 'fulfilled') this.topics = topics.value;
    if (availability.status === 'fulfilled') this.availability = availability.value;
    if (record.status === 'fulfilled') this.record = record.value;
    if (sessions.status === 'fulfilled') this.sessions = sessions.value;
    if (groups.status === 'fulfilled') this.groups = groups.value;
    if ([topics, availability, sessions].some((r) => r.status === 'rejected')) this.problem = this.errorText(null);
  }

  /** Follows the offers while the desk is open: a long poll when none is pending, a short one otherwise. */
  private async follow(b: BridgeClient, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const offers = await listOffers(b, this.offers.length === 0 ? LONG_POLL_MS : 0, signal);
        if (signal.aborted) return;
        this.offline = false;
        this.takeOffers(offers);
        // The load shown with the switch and the caseload follow along (a partner's room may have been made).
        const [availability, sessions] = await Promise.all([getAvailability(b), listSessions(b)]);
        if (signal.aborted) return;
        this.availability = availability;
        this.sessions = sessions;
        if (offers.length > 0) await sleep(PENDING_POLL_MS, signal);
      } catch {
        if (signal.aborted) return;
        this.offline = true;
        await sleep(RETRY_MS, signal);
      }
    }
  }

  private takeOffers(offers: OfferView[]): void {
    const known = new Set(this.offers.map((o) => o.offer_id));
    const fresh = offers.filter((o) => !known.has(o.offer_id));
    if (fresh.length === 1) this.announcement = msg(str`New request: ${topicLabel(this.topics, fresh[0]!.topic)}`, { id: 'supporter.announce.new-offer' });
    else if (fresh.length > 1) this.announcement = msg(str`${fresh.length} new requests`, { id: 'supporter.announce.new-offers' });
    this.offers = offers;
  }

  private errorText(e: unknown): string {
    if (e instanceof BridgeError && e.status === 0) return msg('No connection to the support service. Please try again.', { id: 'supporter.problem.network' });
    return msg('Something went wrong. Please try again.', { id: 'supporter.problem.server' });
  }

  private async onAvailability(e: CustomEvent<AvailabilityChange>): Promise<void> {
    const b = this.bridge;
    if (!b) return;
    this.busy = true;
    this.problem = '';
    try {
      this.availability = await putAvailability(b, { available: e.detail.available, topics: e.detail.topics });
      this.announcement = this.availability.available
        ? msg('You are available. Requests will appear below.', { id: 'supporter.announce.available' })
        : msg('You are no longer taking requests.', { id: 'supporter.announce.unavailable' });
    } catch (err) {
      this.problem = this.errorText(err);
      this.availability = this.availability ? { ...this.availability } : null; // the switch shows what is stored
    } finally {
      this.busy = false;
    }
  }

  /**
   * A partner's student: their institution makes the room and tells our bridge its id a moment later.
   * Asks for it every second for up to a minute, then opens it (the shell joins over federation).
   */
  private async openWhenReady(b: BridgeClient, sessionId: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && this.isConnected) {
      await new Promise((r) => setTimeout(r, 1000));
      try {
        const s = await getSession(b, sessionId);
        if (s.room_id) {
          this.sessions = [s, ...this.sessions.filter((x) => x.session_id !== s.session_id)];
          this.dispatchEvent(new CustomEvent('open-room', { detail: { roomId: s.room_id }, bubbles: true, composed: true }));
          return;
        }
        if (s.status !== 'creating' && s.status !== 'active') return;
      } catch { /* offline for a moment: ask again */ }
    }
  }

  /** The start of answering an offer: the bridge and the offer, marked busy, the problem line cleared; null without a bridge. */
  private beginOfferAnswer(e: CustomEvent<{ offerId: string }>): { b: BridgeClient; offerId: string } | null {
    const b = this.bridge;
    if (!b) return null;
    const { offerId } = e.detail;
    this.busyOfferId = offerId;
    this.problem = '';
    return { b, offerId };
  }

  private async onAccept(e: CustomEvent<{ offerId: string }>): Promise<void> {
    const started = this.beginOfferAnswer(e);
    if (!started) return;
    const { b, offerId } = started;
    try {
      const session = await acceptOffer(b, offerId);
      this.offers = this.offers.filter((o) => o.offer_id !== offerId);
      this.sessions = [session, ...this.sessions.filter((s) => s.session_id !== session.session_id)];
      if (session.room_id) {
        this.announcement = msg('Accepted. Opening the conversation …', { id: 'supporter.announce.accepted' });
        this.dispatchEvent(new CustomEvent('open-room', { detail: { roomId: session.room_id }, bubbles: true, composed: true }));
      } else {
        this.announcement = msg('Accepted. The partner institution is making the room; it appears under your conversations.', { id: 'supporter.announce.accepted-partner' });
        void this.openWhenReady(b, session.session_id);
      }
    } catch (err) {
      if (offerGone(err)) {
        this.offers = this.offers.filter((o) => o.offer_id !== offerId);
        this.problem = msg('That request is no longer open: it expired or was withdrawn.', { id: 'supporter.problem.offer-gone' });
      } else if (err instanceof BridgeError && err.status === 502) {
        this.problem = msg('The room could not be made. The request went back to the queue.', { id: 'supporter.problem.room-failed' });
      } else {
        this.problem = this.errorText(err);
      }
    } finally {
      this.busyOfferId = null;
    }
  }

  private async onDecline(e: CustomEvent<{ offerId: string }>): Promise<void> {
    const started = this.beginOfferAnswer(e);
    if (!started) return;
    const { b, offerId } = started;
    try {
      await declineOffer(b, offerId);
      this.announcement = msg('Declined. The request goes to someone else.', { id: 'supporter.announce.declined' });
    } catch (err) {
      if (!offerGone(err)) this.problem = this.errorText(err);
    } finally {
      this.offers = this.offers.filter((o) => o.offer_id !== offerId);
      this.busyOfferId = null;
      this.renderRoot.querySelector('peerline-supporter-queue')?.focusHeading();
    }
  }

  private async onSuggest(e: CustomEvent<SuggestEscalationDetail>): Promise<void> {
    const store = this.store;
    if (!store) return;
    const { sessionId, roomId, content } = e.detail;
    this.busySessionId = sessionId;
    this.problem = '';
    try {
      await store.sendEventTo(roomId, ESCALATION_SUGGESTION_EVENT_TYPE, { ...content });
      this.announcement = msg('Suggestion sent. The student decides whether a counsellor joins.', { id: 'supporter.announce.suggested' });
    } catch {
      this.problem = msg('The suggestion could not be sent. Open the conversation once, then try again.', { id: 'supporter.problem.suggest' });
    } finally {
      this.busySessionId = null;
    }
  }

  private async onEnd(e: CustomEvent<EndSessionDetail>): Promise<void> {
    const b = this.bridge;
    if (!b) return;
    const { sessionId, outcome, checkInTs } = e.detail;
    this.busySessionId = sessionId;
    this.problem = '';
    try {
      const ended = await endSession(b, sessionId, { outcome, checkInTs });
      this.sessions = this.sessions.map((s) => (s.session_id === sessionId ? ended : s));
      this.announcement = ended.check_in
        ? msg('Session ended. The student was offered the check-in.', { id: 'supporter.announce.ended-checkin' })
        : msg('Session ended. Thank you.', { id: 'supporter.announce.ended' });
      this.availability = await getAvailability(b).catch(() => this.availability);
    } catch (err) {
      this.problem = err instanceof BridgeError && err.status === 409
        ? msg('That session has already ended.', { id: 'supporter.problem.not-active' })
        : err instanceof BridgeError && err.status === 400
          ? msg('The check-in time is not possible: choose one within the next 30 days.', { id: 'supporter.problem.checkin' })
          : this.errorText(err);
    } finally {
      this.busySessionId = null;
      this.renderRoot.querySelector('peerline-supporter-caseload')?.focusHeading();
    }
  }

  /** A module was passed: what the roster now allows (topics, the switch) is loaded again. */
  private async onTrainingCompleted(): Promise<void> {
    const b = this.bridge;
    if (!b) return;
    const [availability, record] = await Promise.allSettled([getAvailability(b), ownSupporterRecord(b)]);
    if (availability.status === 'fulfilled') this.availability = availability.value;
    if (record.status === 'fulfilled') this.record = record.value;
  }

  /** The availability panel's way to a module that keeps a topic away. */
  private onTrainingOpen(e: CustomEvent<TrainingOpenDetail>): void {
    const panel = this.renderRoot.querySelector<SupporterTraining>('peerline-supporter-training');
    panel?.scrollIntoView({ block: 'start' });
    void panel?.start(e.detail.module);
  }

  private async onOpenGroup(e: CustomEvent<OpenGroupDetail>): Promise<void> {
    const b = this.bridge;
    if (!b) return;
    this.busy = true;
    this.problem = '';
    try {
      const g = await openGroup(b, e.detail);
      this.groups = [g, ...this.groups.filter((x) => x.group_id !== g.group_id)];
      (this.renderRoot.querySelector('peerline-supporter-groups') as SupporterGroups | null)?.resetForm();
      this.announcement = msg(str`Group opened: ${g.name}. You are invited to its room.`, { id: 'supporter.announce.group-opened' });
    } catch (err) {
      this.problem = err instanceof BridgeError && err.errcode === 'ORG.PEERLINE.NOT_TRAINED'
        ? msg('You are not trained for that topic, so you cannot open a group on it.', { id: 'supporter.problem.group-not-trained' })
        : this.errorText(err);
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const qualified = this.availability?.qualified_topics ?? this.record?.qualified_topics ?? [];
    return html`
      <h1 tabindex="-1">${msg('Supporter desk', { id: 'app.desk.supporter' })}</h1>
      <p class="status" role="status" aria-live="polite">${this.announcement}</p>
      <div role="alert">${this.problem ? html`<p class="problem">${this.problem}</p>` : nothing}</div>
      ${this.offline ? html`<p class="muted">${msg('The request queue cannot be reached right now. Trying again …', { id: 'supporter.offline' })}</p>` : nothing}
      ${this.bridge === null ? html`<p class="muted">${msg('Connecting to the support service …', { id: 'supporter.connecting' })}</p>` : html`
        <div class="desk"
          @availability-change=${(e: CustomEvent<AvailabilityChange>) => { void this.onAvailability(e); }}
          @offer-accept=${(e: CustomEvent<{ offerId: string }>) => { void this.onAccept(e); }}
          @offer-decline=${(e: CustomEvent<{ offerId: string }>) => { void this.onDecline(e); }}
          @suggest-escalation=${(e: CustomEvent<SuggestEscalationDetail>) => { void this.onSuggest(e); }}
          @end-session=${(e: CustomEvent<EndSessionDetail>) => { void this.onEnd(e); }}
          @open-group=${(e: CustomEvent<OpenGroupDetail>) => { void this.onOpenGroup(e); }}
          @training-open=${(e: CustomEvent<TrainingOpenDetail>) => this.onTrainingOpen(e)}
          @training-completed=${() => { void this.onTrainingCompleted(); }}>
          <peerline-supporter-availability .availability=${this.availability} .record=${this.record} .topics=${this.topics} ?busy=${this.busy}></peerline-supporter-availability>
          <peerline-supporter-queue .offers=${this.offers} .topics=${this.topics} .busyOfferId=${this.busyOfferId} ?available=${this.availability?.available ?? false}></peerline-supporter-queue>
          <peerline-supporter-caseload class="wide" .sessions=${this.sessions} .topics=${this.topics} .busySessionId=${this.busySessionId}></peerline-supporter-caseload>
          <peerline-supporter-groups class="wide" .bridge=${this.bridge} .groups=${this.groups} .topics=${this.topics} .qualifiedTopics=${qualified} ?busy=${this.busy}></peerline-supporter-groups>
          <peerline-supervision-supporter class="wide" .bridge=${this.bridge} .topics=${this.topics} .chat=${this.store}></peerline-supervision-supporter>
          <peerline-supporter-training class="wide" .bridge=${this.bridge} .topics=${this.topics}></peerline-supporter-training>
          <peerline-feedback-summary class="wide" .summary=${this.feedback} ?problem=${this.feedbackProblem}></peerline-feedback-summary>
        </div>`}`;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

customElements.define('peerline-supporter-view', SupporterView);

declare global {
  interface HTMLElementTagNameMap { 'peerline-supporter-view': SupporterView }
}
