// The student's desk: ask for support (a topic; an optional note stays on this device), then a live
// queue status with the crisis resources always in view, until a supporter is matched and the room
// opens. A wait survives a reload: an open request is found again and followed. Below: the student's
// sessions (open, end, answer a check-in) and the support groups they may join.
import { LitElement, html, css, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { keyed } from 'lit/directives/keyed.js';
import type { Session } from '../../matrix/session.ts';
import type { CrisisResource } from '../../state/crisis-resources.ts';
import type { AppStore } from '../../state/app-store.ts';
import { BridgeClient, BridgeError, type BridgeTopic, type SupportRequestView } from '../../bridge/bridge-client.ts';
import {
  answerCheckIn, endSession, joinGroup, listGroups, listRequests, listSessions, openRequest,
  type PeerSessionView, type SupportGroupView,
} from '../../bridge/student-api.ts';
import type { CheckInAnswerEvent, EndSessionEvent } from '../components/session-list/session-list.component.ts';
import type { JoinGroupEvent } from '../components/group-list/group-list.component.ts';
import '../components/session-list/session-list.component.ts';
import '../components/group-list/group-list.component.ts';
import { answerFeedback, collectFeedbackTickets, finishFeedback, type PendingFeedback } from '../../bridge/feedback-api.ts';
import type { FeedbackSendEvent } from '../components/session-feedback/session-feedback.component.ts';
import '../components/session-feedback/session-feedback.component.ts';

type Step = 'loading' | 'choose' | 'submitting' | 'waiting' | 'closed' | 'unavailable';
type Problem = 'closed-hours' | 'open-already' | 'limit' | 'network' | 'server' | 'topic' | null;
/** What went wrong with the sessions and groups below the form (shown in their own alert). */
type ListProblem = 'load' | 'end' | 'check-in' | 'join-refused' | 'join' | null;

const NOTE_KEY = 'peerline.support-note';
const POLL_MS = 25_000;

export interface SupportMatchedEvent extends CustomEvent<{ roomId: string }> { type: 'support-matched' }

export class AskForSupportView extends LitElement {
  static override properties = {
    session: { attribute: false }, bridgeUrl: { attribute: false }, bridge: { attribute: false }, resources: { attribute: false }, store: { attribute: false },
    step: { state: true }, topics: { state: true }, request: { state: true }, problem: { state: true },
    sessions: { state: true }, groups: { state: true }, busy: { state: true }, listProblem: { state: true }, listStatus: { state: true },
    pendingFeedback: { state: true }, feedbackBusy: { state: true }, feedbackProblem: { state: true },
  };
  static override styles = css`
    :host { display: block; max-width: 40rem; margin: 0 auto; padding: var(--pl-space-3); }
    h1 { font-size: 1.5rem; margin: 0 0 var(--pl-space-2); }
    h1:focus { outline: none; }
    h2 { font-size: 1.125rem; margin: var(--pl-space-3) 0 var(--pl-space-1); }
    form { display: grid; gap: var(--pl-space-3); }
    fieldset { border: 1px solid var(--pl-border); border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3); margin: 0; }
    legend { font-weight: 700; padding: 0 var(--pl-space-1); }
    .choice { display: flex; align-items: center; gap: var(--pl-space-2); min-height: 2.75rem; }
    input[type=radio] { width: 1.25rem; height: 1.25rem; }
    label.block { display: grid; gap: var(--pl-space-1); font-weight: 700; }
    textarea { font: inherit; color: var(--pl-text); background: var(--pl-bg); border: 2px solid var(--pl-border-strong); border-radius: var(--pl-radius); padding: var(--pl-space-2); min-height: 5rem; }
    .hint, .muted { color: var(--pl-text-muted); font-weight: 400; margin: 0; }
    button { font: inherit; cursor: pointer; border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-3); min-height: 2.75rem; border: 2px solid var(--pl-border-strong); color: var(--pl-text); background: var(--pl-surface); }
    button.primary { background: var(--pl-accent); border-color: var(--pl-accent); color: var(--pl-accent-fg); font-weight: 700; }
    button:focus-visible, input:focus-visible, textarea:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
    button[disabled] { cursor: progress; }
    .status { font-size: 1.125rem; font-weight: 700; margin: var(--pl-space-2) 0; }
    .actions { display: flex; flex-wrap: wrap; gap: var(--pl-space-2); }
    .problem { color: var(--pl-danger, var(--pl-text)); border-left: 4px solid var(--pl-danger, var(--pl-border-strong)); padding-left: var(--pl-space-2); }
    ul.crisis { list-style: none; padding: 0; margin: 0; display: grid; gap: var(--pl-space-2); }
    ul.crisis a { color: var(--pl-link); }
    section.lists { margin-top: var(--pl-space-4); }
    .list-status:empty, .list-problem:empty { display: none; }
    @media (prefers-reduced-motion: no-preference) { .status { transition: opacity 0.2s; } }
  `;
  declare session: Session | null;
  declare bridgeUrl: string | null;
  /** The app's signed-in bridge client, when it has one (else this view makes its own). */
  declare bridge: BridgeClient | null;
  declare resources: CrisisResource[];
  declare step: Step;
  declare topics: BridgeTopic[];
  declare request: SupportRequestView | null;
  declare problem: Problem;
  /** The app store, for the rooms this account is already in. */
  declare store: AppStore | null;
  declare sessions: PeerSessionView[] | null;
  declare groups: SupportGroupView[] | null;
  /** The session or group an answer is on its way for. */
  declare busy: string | null;
  declare listProblem: ListProblem;
  declare listStatus: string;
  /** An ended session whose anonymous feedback is still open to give (its ticket waits on this device). */
  declare pendingFeedback: PendingFeedback | null;
  declare feedbackBusy: boolean;
  declare feedbackProblem: string;

  private client: BridgeClient | null = null;
  private poll: AbortController | null = null;

  constructor() {
    super();
    this.session = null;
    this.bridgeUrl = null;
    this.bridge = null;
    this.resources = [];
    this.step = 'loading';
    this.topics = [];
    this.request = null;
    this.problem = null;
    this.store = null;
    this.sessions = null;
    this.groups = null;
    this.busy = null;
    this.listProblem = null;
    this.listStatus = '';
    this.pendingFeedback = null;
    this.feedbackBusy = false;
    this.feedbackProblem = '';
    updateWhenLocaleChanges(this);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.poll?.abort();
  }

  focusHeading(): void { this.renderRoot.querySelector('h1')?.focus(); }

  private async start(): Promise<void> {
    if (!this.session || !this.bridgeUrl) { this.step = 'unavailable'; return; }
    const client = this.client ??= this.bridge ?? new BridgeClient(this.bridgeUrl, this.session);
    try {
      const [topics, requests] = await Promise.all([client.topics(), listRequests(client)]);
      this.topics = topics;
      // A request still waiting (the page was reloaded, or opened on another visit): follow it again.
      const open = openRequest(requests);
      if (open) {
        this.request = open;
        this.step = 'waiting';
        void this.follow(open.request_id);
      } else {
        this.step = 'choose';
      }
    } catch (e) {
      this.problem = e instanceof BridgeError && e.status === 0 ? 'network' : 'server';
      this.step = 'unavailable';
      return;
    }
    await this.loadLists();
  }

  /** GET /v1/sessions and GET /v1/groups for the lists below the form. */
  private async loadLists(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      const [sessions, groups] = await Promise.all([listSessions(client), listGroups(client)]);
      this.sessions = sessions.filter((s) => s.role === 'student');
      this.groups = groups;
      void this.collectFeedback();
    } catch {
      this.listProblem = 'load';
    }
  }

  private replaceSession(s: PeerSessionView): void {
    this.sessions = (this.sessions ?? []).map((x) => x.session_id === s.session_id ? s : x);
  }

  private async onEndSession(e: EndSessionEvent): Promise<void> {
    const id = e.detail.sessionId;
    this.busy = id;
    this.listProblem = null;
    this.listStatus = '';
    try {
      this.replaceSession(await endSession(this.client!, id));
      this.listStatus = msg('The session has ended.', { id: 'student.session.ended-status' });
      void this.collectFeedback();
    } catch (err) {
      // 409: it ended meanwhile (the supporter ended it); show it as it is now.
      if (err instanceof BridgeError && err.status === 409) await this.loadLists();
      else this.listProblem = 'end';
    } finally {
      this.busy = null;
    }
  }

  /** After the form goes away, focus stays in the sessions section rather than falling to the page. */
  private async focusAfterFeedback(): Promise<void> {
    await this.updateComplete;
    const next = this.renderRoot.querySelector('peerline-session-feedback');
    if (next) { await next.updateComplete; next.renderRoot.querySelector<HTMLInputElement>('input')?.focus(); } else this.renderRoot.querySelector<HTMLElement>('#sessions-heading')?.focus();
  }

  /** Fetches the one-time feedback ticket of every newly ended session (answered or not), and offers the form. */
  private async collectFeedback(): Promise<void> {
    if (!this.client || !this.sessions) return;
    this.pendingFeedback = await collectFeedbackTickets(this.client, this.sessions);
  }

  private async onFeedbackSend(e: FeedbackSendEvent): Promise<void> {
    const p = this.pendingFeedback;
    if (!p || !this.client) return;
    this.feedbackBusy = true;
    this.feedbackProblem = '';
    try {
      await answerFeedback(this.client, p, e.detail);
      this.listStatus = msg('Thank you for your feedback.', { id: 'feedback.thanks' });
      await this.collectFeedback();
      await this.focusAfterFeedback();
    } catch {
      this.feedbackProblem = msg('Your feedback could not be sent just now. Please try again later.', { id: 'feedback.error.send' });
    } finally {
      this.feedbackBusy = false;
    }
  }

  private onFeedbackSkip(): void {
    if (this.pendingFeedback) finishFeedback(this.pendingFeedback.sessionId);
    void this.collectFeedback().then(() => this.focusAfterFeedback());
  }

  private async onCheckIn(e: CheckInAnswerEvent): Promise<void> {
    const { sessionId, accept } = e.detail;
    this.busy = sessionId;
    this.listProblem = null;
    this.listStatus = '';
    try {
      this.replaceSession(await answerCheckIn(this.client!, sessionId, accept));
      this.listStatus = accept
        ? msg('Thank you. Your supporter will check in with you then.', { id: 'student.checkin.accepted-status' })
        : msg('Okay. There will be no check-in.', { id: 'student.checkin.declined-status' });
    } catch (err) {
      if (err instanceof BridgeError && err.status === 409) await this.loadLists();
      else this.listProblem = 'check-in';
    } finally {
      this.busy = null;
    }
  }

  private async onJoinGroup(e: JoinGroupEvent): Promise<void> {
    const id = e.detail.groupId;
    this.busy = id;
    this.listProblem = null;
    this.listStatus = '';
    try {
      const g = await joinGroup(this.client!, id);
      this.dispatchEvent(new CustomEvent('open-room', { detail: { roomId: g.room_id }, bubbles: true, composed: true }));
    } catch (err) {
      this.listProblem = err instanceof BridgeError && (err.status === 403 || err.status === 404) ? 'join-refused' : 'join';
    } finally {
      this.busy = null;
    }
  }

  private async submit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const topic = data.get('topic');
    const note = String(data.get('note') ?? '');
    if (typeof topic !== 'string' || topic === '') { this.problem = 'topic'; return; }
    // The note never leaves the device: it is kept locally for the student to look at, nothing more.
    try { if (note.trim() !== '') localStorage.setItem(NOTE_KEY, note); else localStorage.removeItem(NOTE_KEY); } catch { /* storage full or blocked */ }
    this.problem = null;
    this.step = 'submitting';
    try {
      this.request = await this.client!.createRequest({ topic, language: document.documentElement.lang || 'en' });
      this.step = 'waiting';
      void this.follow(this.request.request_id);
    } catch (err) {
      this.problem = err instanceof BridgeError
        ? err.errcode === 'ORG.PEERLINE.SUPPORT_CLOSED' ? 'closed-hours' : err.errcode === 'ORG.PEERLINE.REQUEST_OPEN' ? 'open-already' : err.status === 429 ? 'limit' : err.status === 0 ? 'network' : 'server'
        : 'server';
      this.step = 'choose';
    }
  }

  /** Long-polls the request until it is matched (room ready) or closed. */
  private async follow(requestId: string): Promise<void> {
    this.poll?.abort();
    const ctl = new AbortController();
    this.poll = ctl;
    while (!ctl.signal.aborted) {
      try {
        const r = await this.client!.getRequest(requestId, POLL_MS, ctl.signal);
        if (ctl.signal.aborted) return;
        this.request = r;
        this.problem = null;
        const roomId = r.session?.room_id ?? null;
        if (r.status === 'matched' && roomId) {
          this.dispatchEvent(new CustomEvent('support-matched', { detail: { roomId }, bubbles: true, composed: true }));
          return;
        }
        if (r.status === 'cancelled' || r.status === 'expired' || r.status === 'declined') { this.step = 'closed'; return; }
      } catch {
        if (ctl.signal.aborted) return;
        this.problem = 'network';
        await new Promise((res) => setTimeout(res, 2000));
      }
    }
  }

  private async cancel(): Promise<void> {
    const r = this.request;
    this.poll?.abort();
    if (!r) return;
    try {
      this.request = await this.client!.cancelRequest(r.request_id);
      this.step = 'closed';
    } catch (e) {
      // Matched meanwhile (409): keep following so the room opens.
      if (e instanceof BridgeError && e.status === 409) void this.follow(r.request_id);
      else { this.problem = 'network'; void this.follow(r.request_id); }
    }
  }

  private statusText(): string {
    const r = this.request;
    if (!r) return '';
    if (r.status === 'matched') return msg('A supporter is on the way. Opening your conversation …', { id: 'support.status.matched' });
    if (r.status === 'offered') return msg('A supporter is looking at your request right now.', { id: 'support.status.offered' });
    if (r.status === 'cancelled') return msg('Your request is cancelled.', { id: 'support.status.cancelled' });
    if (r.status === 'expired' || r.status === 'declined') return msg('Nobody could take your request this time. You can ask again.', { id: 'support.status.expired' });
    const minutes = r.expected_wait_seconds === null ? null : Math.max(1, Math.round(r.expected_wait_seconds / 60));
    if (r.position !== null && minutes !== null) return msg(str`You are number ${r.position} in the queue — about ${minutes} minutes.`, { id: 'support.status.position-wait' });
    if (r.position !== null) return msg(str`You are number ${r.position} in the queue.`, { id: 'support.status.position' });
    return msg('You are in the queue.', { id: 'support.status.waiting' });
  }

  private problemText(): string {
    switch (this.problem) {
      case 'closed-hours': return msg('Peer support is closed right now. The crisis resources below are there at any time.', { id: 'support.problem.closed' });
      case 'open-already': return msg('You already have a request open.', { id: 'support.problem.open' });
      case 'limit': return msg('You have asked many times in the last hour. Please wait a little, or use the crisis resources below.', { id: 'support.problem.limit' });
      case 'network': return msg('No connection to the support service. Trying again …', { id: 'support.problem.network' });
      case 'topic': return msg('Choose a topic first.', { id: 'support.problem.topic' });
      case 'server': return msg('Something went wrong. Please try again.', { id: 'support.problem.server' });
      default: return '';
    }
  }

  private crisis() {
    const list = this.request?.crisis_resources.length ? this.request.crisis_resources : this.resources;
    return html`
      <section aria-labelledby="crisis-heading">
        <h2 id="crisis-heading">${msg('If you are in danger right now', { id: 'support.crisis-heading' })}</h2>
        <ul class="crisis">
          ${list.map((c) => html`<li><strong>${c.name}</strong>
            ${c.phone ? html` — <a href="tel:${c.phone}">${c.phone}</a>` : nothing}
            ${c.url ? html` — <a href=${c.url} target="_blank" rel="noopener">${c.url}</a>` : nothing}
            ${c.hours ? html` <span class="muted">(${c.hours})</span>` : nothing}</li>`)}
        </ul>
      </section>`;
  }

  private back(): void {
    this.dispatchEvent(new CustomEvent('support-closed', { bubbles: true, composed: true }));
  }

  override render() {
    const problem = this.problemText();
    return html`
      <h1 tabindex="-1">${msg('Ask for support', { id: 'support.heading' })}</h1>
      <div role="alert">${problem && this.step !== 'waiting' ? html`<p class="problem">${problem}</p>` : nothing}</div>
      ${this.step === 'loading' ? html`<p role="status">${msg('Connecting to the support service …', { id: 'support.loading' })}</p>` : nothing}
      ${this.step === 'unavailable' ? html`<p>${msg('Asking for support is not available here right now.', { id: 'support.unavailable' })}</p>` : nothing}
      ${this.step === 'choose' || this.step === 'submitting' ? this.form() : nothing}
      <div aria-live="polite" aria-atomic="true">
        ${this.step === 'waiting' || this.step === 'closed' ? html`<p class="status" id="support-status">${this.statusText()}</p>${this.step === 'waiting' && problem ? html`<p class="muted">${problem}</p>` : nothing}` : nothing}
      </div>
      <div class="actions">
        ${this.step === 'waiting' ? html`<button type="button" @click=${() => { void this.cancel(); }}>${msg('Cancel my request', { id: 'support.cancel' })}</button>` : nothing}
        ${this.step === 'closed' ? html`<button type="button" class="primary" @click=${() => { this.request = null; this.step = 'choose'; }}>${msg('Ask again', { id: 'student.ask-again' })}</button>` : nothing}
        ${this.step !== 'waiting' ? html`<button type="button" @click=${this.back}>${msg('Back to conversations', { id: 'support.back' })}</button>` : nothing}
      </div>
      ${this.crisis()}
      ${this.lists()}`;
  }

  private listProblemText(): string {
    switch (this.listProblem) {
      case 'load': return msg('Your conversations and the groups could not be loaded. Please try again later.', { id: 'student.lists.error.load' });
      case 'end': return msg('The session could not be ended. Please try again.', { id: 'student.session.error.end' });
      case 'check-in': return msg('Your answer could not be sent. Please try again.', { id: 'student.checkin.error' });
      case 'join-refused': return msg('This group is not open to you.', { id: 'student.group.closed' });
      case 'join': return msg('You could not join the group just now. Please try again.', { id: 'student.group.error.join' });
      default: return '';
    }
  }

  private lists() {
    if (this.step === 'loading' || this.step === 'unavailable') return nothing;
    const labels = Object.fromEntries(this.topics.map((t) => [t.id, t.label]));
    const joined = this.store?.snapshot.rooms.map((r) => r.roomId) ?? [];
    return html`
      <p class="problem list-problem" role="alert">${this.listProblemText()}</p>
      <p class="status list-status" role="status">${this.listStatus}</p>
      <section class="lists" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading" tabindex="-1">${msg('Your conversations with supporters', { id: 'student.sessions.heading' })}</h2>
        ${this.pendingFeedback ? keyed(this.pendingFeedback.sessionId, html`<peerline-session-feedback .topicLabel=${labels[this.pendingFeedback.topic] ?? this.pendingFeedback.topic} ?busy=${this.feedbackBusy}
          .problem=${this.feedbackProblem} @feedback-send=${(e: FeedbackSendEvent) => { void this.onFeedbackSend(e); }} @feedback-skip=${() => this.onFeedbackSkip()}></peerline-session-feedback>`) : nothing}
        ${this.sessions === null ? html`<p class="muted">${msg('Loading …', { id: 'devices.loading' })}</p>` : html`
          <peerline-session-list .sessions=${this.sessions} .topicLabels=${labels} .busy=${this.busy}
            @end-session=${(e: EndSessionEvent) => { void this.onEndSession(e); }}
            @check-in-answer=${(e: CheckInAnswerEvent) => { void this.onCheckIn(e); }}></peerline-session-list>`}
      </section>
      <section class="lists" aria-labelledby="groups-heading">
        <h2 id="groups-heading">${msg('Support groups', { id: 'student.groups.heading' })}</h2>
        <p class="muted">${msg('Groups on a topic, with other students and a trained supporter. Everything said there is end-to-end encrypted.', { id: 'student.groups.intro' })}</p>
        ${this.groups === null ? html`<p class="muted">${msg('Loading …', { id: 'devices.loading' })}</p>` : html`
          <peerline-group-list .groups=${this.groups} .topicLabels=${labels} .joinedRoomIds=${joined} .busy=${this.busy}
            @join-group=${(e: JoinGroupEvent) => { void this.onJoinGroup(e); }}></peerline-group-list>`}
      </section>`;
  }

  private form() {
    let note = '';
    try { note = localStorage.getItem(NOTE_KEY) ?? ''; } catch { /* blocked */ }
    return html`
      <form @submit=${(e: SubmitEvent) => { void this.submit(e); }}>
        <fieldset>
          <legend>${msg('What would you like to talk about?', { id: 'support.topic-legend' })}</legend>
          ${this.topics.map((t) => html`<label class="choice"><input type="radio" name="topic" value=${t.id} required> ${t.label}</label>`)}
        </fieldset>
        <label class="block">${msg('A note for yourself (optional)', { id: 'support.note-label' })}
          <span class="hint">${msg('Stays on this device. It is never sent to anyone.', { id: 'support.note-hint' })}</span>
          <textarea name="note" .value=${note}></textarea>
        </label>
        <div class="actions">
          <button class="primary" type="submit" ?disabled=${this.step === 'submitting'}>${msg('Ask for support', { id: 'support.submit' })}</button>
        </div>
      </form>`;
  }
}

customElements.define('peerline-ask-for-support-view', AskForSupportView);

declare global {
  interface HTMLElementTagNameMap { 'peerline-ask-for-support-view': AskForSupportView }
}
