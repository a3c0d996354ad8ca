// The supporter's side of supervision: a wellbeing break (pause, optionally for a while, and resume),
// today's sessions against the policy's daily cap (and a clear word when the cap keeps requests
// away), flagging one of their sessions for review with a reason from a fixed list, and asking a
// supervisor for a debrief — which opens the encrypted debrief room in the chat view. Nothing of the
// student is asked for or sent: a debrief names the session's topic and length only, and says
// whether the student consented to share more. Where the student's consent receipt for the session
// covers chosen messages, the supporter may review exactly those (read and decrypted on this device,
// state/debrief-share.ts) and post them into the debrief room, marked with the receipt; otherwise no
// share is offered and the card says why.
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import {
  REVIEW_FLAG_REASONS, endBreak, flagSession, listDebriefs, listSupervisors, ownSessions, requestDebrief, startBreak, supervisionStatus,
  type DebriefView, type OwnSession, type ReviewFlagReason, type SupervisionBridge, type SupervisionStatus,
} from '../../../bridge/supervision-api.ts';
import { noShareReason, postDebriefShare, prepareDebriefShare, type DebriefShareDeps, type DebriefShareOffer } from '../../../state/debrief-share.ts';
import { topicLabel } from '../supporter-shared/supporter.styles.ts';
import { flagReasonLabel } from '../supervision-shared/flag-reasons.ts';
import { supervisionSupporterStyles } from './supervision-supporter.styles.ts';


const time = (ts: number): string => new Date(ts).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
const when = (ts: number): string => new Date(ts).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export class SupervisionSupporter extends LitElement {
  static override properties = {
    bridge: { attribute: false }, topics: { attribute: false },
    status: { state: true }, sessions: { state: true }, supervisors: { state: true }, debriefs: { state: true }, busy: { state: true },
    announcement: { state: true }, problem: { state: true }, chat: { attribute: false }, offer: { state: true },
  };
  static override styles = supervisionSupporterStyles;
  declare bridge: SupervisionBridge | null;
  declare topics: { id: string; label: string }[];
  declare status: SupervisionStatus | null;
  declare sessions: OwnSession[];
  declare supervisors: string[];
  declare debriefs: DebriefView[];
  declare busy: boolean;
  declare announcement: string;
  declare problem: string;
  /** This device's chat (decrypted messages, sending): without it nothing can be shared. */
  declare chat: Pick<DebriefShareDeps, 'readMessage' | 'sendEventTo'> | null;
  /** The messages of a debrief's receipt under review, before they are shared. */
  declare offer: DebriefShareOffer | null;
  private loadedFor: SupervisionBridge | null = null;

  constructor() {
    super();
    this.bridge = null;
    this.topics = [];
    this.status = null;
    this.sessions = [];
    this.supervisors = [];
    this.debriefs = [];
    this.busy = false;
    this.announcement = '';
    this.problem = '';
    this.chat = null;
    this.offer = null;
    updateWhenLocaleChanges(this);
  }

  override updated(): void {
    if (this.bridge && this.loadedFor !== this.bridge) {
      this.loadedFor = this.bridge;
      void this.load();
    }
  }

  /** Loads (or reloads) everything this part shows. */
  async load(): Promise<void> {
    const b = this.bridge;
    if (!b) return;
    const [status, sessions, supervisors, debriefs] = await Promise.allSettled([supervisionStatus(b), ownSessions(b), listSupervisors(b), listDebriefs(b)]);
    if (status.status === 'fulfilled') this.status = status.value;
    if (sessions.status === 'fulfilled') this.sessions = sessions.value;
    if (supervisors.status === 'fulfilled') this.supervisors = supervisors.value;
    if (debriefs.status === 'fulfilled') this.debriefs = debriefs.value;
    if (status.status === 'rejected') this.problem = msg('Supervision could not be loaded. Please try again.', { id: 'supervision.problem.load' });
  }

  private async act<T>(run: (b: SupervisionBridge) => Promise<T>, done: (v: T) => void, failed?: (e: unknown) => string | null): Promise<void> {
    const b = this.bridge;
    if (!b || this.busy) return;
    this.busy = true;
    this.problem = '';
    try {
      done(await run(b));
    } catch (e) {
      this.problem = failed?.(e) ?? msg('That did not work. Please try again.', { id: 'supervision.problem.action' });
    } finally {
      this.busy = false;
    }
  }

  private pause(e: SubmitEvent): void {
    e.preventDefault();
    const minutes = Number(new FormData(e.target as HTMLFormElement).get('for') ?? 0);
    const until = minutes > 0 ? Date.now() + minutes * 60_000 : null;
    void this.act((b) => startBreak(b, until), (s) => {
      this.status = s;
      this.announcement = msg('You are on a break. No requests will be offered to you until you resume.', { id: 'supervision.announce.paused' });
    });
  }

  private resume(): void {
    void this.act((b) => endBreak(b), (s) => {
      this.status = s;
      this.announcement = s.blocked === 'daily_cap'
        ? msg('Break ended. You have reached today\'s limit, so requests come again tomorrow.', { id: 'supervision.announce.resumed-capped' })
        : msg('Welcome back. Requests can be offered to you again.', { id: 'supervision.announce.resumed' });
    });
  }

  private flag(e: SubmitEvent): void {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const sessionId = String(data.get('session') ?? '');
    const reason = String(data.get('reason') ?? '') as ReviewFlagReason;
    if (sessionId === '' || !REVIEW_FLAG_REASONS.includes(reason)) {
      this.problem = msg('Choose a session and a reason first.', { id: 'supervision.problem.flag-incomplete' });
      return;
    }
    void this.act((b) => flagSession(b, sessionId, reason), (f) => {
      this.status = this.status ? { ...this.status, flags: [f, ...this.status.flags] } : this.status;
      form.reset();
      this.announcement = msg('Flagged. A supervisor will review the session.', { id: 'supervision.announce.flagged' });
    }, (err) => ((err as { status?: number }).status === 409 ? msg('That session is already waiting for review.', { id: 'supervision.problem.already-flagged' }) : null));
  }

  private debrief(e: SubmitEvent): void {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const supervisor = String(data.get('supervisor') ?? '');
    const session = String(data.get('session') ?? '');
    void this.act((b) => requestDebrief(b, { ...(supervisor ? { supervisor } : {}), ...(session ? { session_id: session } : {}) }), (d) => {
      this.debriefs = [d, ...this.debriefs];
      this.announcement = msg('Debrief room made. Opening it …', { id: 'supervision.announce.debrief' });
      if (d.room_id) this.openRoom(d.room_id);
    }, (err) => ((err as { errcode?: string }).errcode === 'ORG.PEERLINE.NO_SUPERVISOR'
      ? msg('Nobody supervises supporters here yet. Please ask your institution.', { id: 'supervision.problem.no-supervisor' }) : null));
  }

  private openRoom(roomId: string): void {
    this.dispatchEvent(new CustomEvent('open-room', { detail: { roomId }, bubbles: true, composed: true }));
  }

  private sessionLabel(s: { topic: string; created_ts: number }): string {
    return `${topicLabel(this.topics, s.topic)} · ${when(s.created_ts)}`;
  }

  private statusLine() {
    const s = this.status;
    if (!s) return nothing;
    if (s.on_break) {
      return html`<p class="state">${s.on_break.until_ts !== null
        ? msg(str`You are on a wellbeing break until ${time(s.on_break.until_ts)}. No requests are offered to you.`, { id: 'supervision.state.break-until' })
        : msg('You are on a wellbeing break. No requests are offered to you until you resume.', { id: 'supervision.state.break' })}</p>`;
    }
    if (s.blocked === 'daily_cap') {
      return html`<p class="state warning">${msg(str`You have had ${s.sessions_today} sessions today, the most your institution allows per day. New requests are offered to you again tomorrow — take care of yourself.`, { id: 'supervision.state.capped' })}</p>`;
    }
    return html`<p class="state">${s.daily_cap !== null
      ? msg(str`Sessions today: ${s.sessions_today} of at most ${s.daily_cap}.`, { id: 'supervision.state.today-cap' })
      : msg(str`Sessions today: ${s.sessions_today}.`, { id: 'supervision.state.today' })}</p>`;
  }

  private consentNote(d: DebriefView) {
    if (d.status === 'failed') {
      return html`<p class="meta warning">${msg('The debrief room could not be made. Please ask again.', { id: 'supervision.debrief.failed' })}</p>`;
    }
    switch (noShareReason(d)) {
      case 'no-session': return nothing;
      case 'no-consent':
        return html`<p class="meta">${msg('The student did not consent to share anything: talk about the topic and length of the session only.', { id: 'supervision.debrief.no-consent' })}</p>`;
      case 'summary-elsewhere':
        return html`<p class="meta">${msg('The student consented to share a summary they wrote, with a counsellor. That summary is not on your device, so nothing of it can be shared here: talk about the topic and length of the session only.', { id: 'supervision.debrief.summary-elsewhere' })}</p>`;
      case 'room-not-open':
        return html`<p class="meta">${msg('The student consented to share messages they chose. They can be shared once the debrief room is open.', { id: 'supervision.debrief.room-not-open' })}</p>`;
      case null:
        return html`<p class="meta">${msg('The student consented to share messages they chose. You can share exactly those here, nothing more.', { id: 'supervision.debrief.consent-messages' })}</p>
          ${this.chat ? this.offer?.debriefId === d.debrief_id ? this.offerPreview(this.offer) : html`
            <button ?disabled=${this.busy} @click=${() => { void this.review(d); }}>${msg('Review what the student consented to share', { id: 'supervision.debrief.review' })}</button>` : nothing}`;
    }
  }

  private async review(d: DebriefView): Promise<void> {
    const chat = this.chat;
    await this.act((b) => prepareDebriefShare({ bridge: b, readMessage: (r, e) => chat!.readMessage(r, e), sendEventTo: (r, t, c) => chat!.sendEventTo(r, t, c) }, d), (offer) => {
      this.offer = offer;
    });
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('#share-h')?.focus();
  }

  private share(offer: DebriefShareOffer): void {
    const chat = this.chat;
    if (!chat) return;
    const heading = (receiptId: string): string => msg(str`Shared with the student's consent (receipt ${receiptId}):`, { id: 'supervision.debrief.shared-heading' });
    void this.act((b) => postDebriefShare({ bridge: b, readMessage: (r, e) => chat.readMessage(r, e), sendEventTo: (r, t, c) => chat.sendEventTo(r, t, c) }, offer, heading), (n) => {
      this.offer = null;
      this.announcement = msg(str`Shared ${n} messages in the debrief room, marked as shared with the student's consent.`, { id: 'supervision.announce.shared' });
      this.openRoom(offer.debriefRoomId);
    }, (err) => ((err as { errcode?: string }).errcode === 'ORG.PEERLINE.NO_CONSENT'
      ? msg('The student\'s consent no longer covers this, so nothing was shared.', { id: 'supervision.problem.no-consent' }) : null));
  }

  private offerPreview(offer: DebriefShareOffer) {
    const who = (from: 'student' | 'supporter'): string => (from === 'student'
      ? msg('The student', { id: 'supervision.debrief.from-student' }) : msg('You', { id: 'supervision.debrief.from-you' }));
    return html`<div class="share" role="group" aria-labelledby="share-h">
      <h4 id="share-h" tabindex="-1">${msg('Messages the student consented to share', { id: 'supervision.debrief.share-title' })}</h4>
      ${offer.items.length > 0 ? html`<ol class="quotes">${offer.items.map((i) => html`<li><span class="meta">${who(i.from)}</span><blockquote>${i.body}</blockquote></li>`)}</ol>` : nothing}
      ${offer.missing > 0 ? html`<p class="meta">${msg(str`${offer.missing} of the chosen messages cannot be read on this device; they are left out.`, { id: 'supervision.debrief.missing' })}</p>` : nothing}
      <div class="actions">
        ${offer.items.length > 0 ? html`<button class="primary" ?disabled=${this.busy} @click=${() => this.share(offer)}>${msg(str`Share these ${offer.items.length} messages in the debrief room`, { id: 'supervision.debrief.share' })}</button>` : nothing}
        <button ?disabled=${this.busy} @click=${() => { this.offer = null; }}>${msg('Cancel', { id: 'supervision.debrief.share-cancel' })}</button>
      </div>
    </div>`;
  }

  override render() {
    const s = this.status;
    const flags = s?.flags ?? [];
    return html`
      <h2 tabindex="-1">${msg('Supervision and wellbeing', { id: 'supervision.supporter.title' })}</h2>
      <p class="status" role="status" aria-live="polite">${this.announcement}</p>
      <p class="problem" role="alert">${this.problem}</p>
      <section aria-labelledby="break-h">
        <h3 id="break-h">${msg('Wellbeing break', { id: 'supervision.break.title' })}</h3>
        ${this.statusLine()}
        ${s?.on_break
          ? html`<button class="primary" ?disabled=${this.busy} @click=${() => this.resume()}>${msg('Resume taking requests', { id: 'supervision.break.resume' })}</button>`
          : html`<form @submit=${(e: SubmitEvent) => this.pause(e)}>
              <div class="field"><label for="break-for">${msg('Pause for', { id: 'supervision.break.for' })}</label>
                <select id="break-for" name="for">
                  <option value="0">${msg('Until I resume', { id: 'supervision.break.open' })}</option>
                  <option value="30">${msg('30 minutes', { id: 'supervision.break.30' })}</option>
                  <option value="60">${msg('1 hour', { id: 'supervision.break.60' })}</option>
                  <option value="120">${msg('2 hours', { id: 'supervision.break.120' })}</option>
                </select>
              </div>
              <div class="actions"><button type="submit" ?disabled=${this.busy || !s}>${msg('Take a break', { id: 'supervision.break.start' })}</button></div>
            </form>`}
      </section>
      <section aria-labelledby="flag-h">
        <h3 id="flag-h">${msg('Flag a session for review', { id: 'supervision.flag.title' })}</h3>
        <p class="hint">${msg('A supervisor looks at the session with you. Only the reason you choose is sent — no words about the student.', { id: 'supervision.flag.hint' })}</p>
        ${this.sessions.length === 0 ? html`<p class="muted">${msg('You have no sessions to flag yet.', { id: 'supervision.flag.none' })}</p>` : html`
          <form @submit=${(e: SubmitEvent) => this.flag(e)}>
            <div class="field"><label for="flag-session">${msg('Session', { id: 'supervision.flag.session' })}</label>
              <select id="flag-session" name="session" required>
                <option value="">${msg('Choose a session', { id: 'supervision.flag.choose' })}</option>
                ${this.sessions.map((x) => html`<option value=${x.session_id}>${this.sessionLabel(x)}</option>`)}
              </select>
            </div>
            <div class="field"><label for="flag-reason">${msg('Reason', { id: 'supervision.flag.reason' })}</label>
              <select id="flag-reason" name="reason" required>
                <option value="">${msg('Choose a reason', { id: 'supervision.flag.choose-reason' })}</option>
                ${REVIEW_FLAG_REASONS.map((r) => html`<option value=${r}>${flagReasonLabel(r)}</option>`)}
              </select>
            </div>
            <div class="actions"><button type="submit" ?disabled=${this.busy}>${msg('Flag for review', { id: 'supervision.flag.submit' })}</button></div>
          </form>`}
        ${flags.length > 0 ? html`<ul class="cards" aria-label=${msg('Your flags', { id: 'supervision.flag.list' })}>${flags.map((f) => html`<li>
          <p>${f.session ? this.sessionLabel({ topic: f.session.topic, created_ts: f.session.started_ts }) : f.session_id} — ${flagReasonLabel(f.reason_code)}</p>
          <p class="meta">${f.reviewed_ts !== null ? msg('Reviewed', { id: 'supervision.flag.reviewed' }) : msg('Waiting for review', { id: 'supervision.flag.waiting' })}</p>
        </li>`)}</ul>` : nothing}
      </section>
      <section aria-labelledby="debrief-h">
        <h3 id="debrief-h">${msg('Debrief with a supervisor', { id: 'supervision.debrief.title' })}</h3>
        <p class="hint">${msg('An encrypted room just for you and a supervisor. Nothing of the student is put there.', { id: 'supervision.debrief.hint' })}</p>
        <form @submit=${(e: SubmitEvent) => this.debrief(e)}>
          <div class="field"><label for="debrief-supervisor">${msg('Supervisor', { id: 'supervision.debrief.supervisor' })}</label>
            <select id="debrief-supervisor" name="supervisor">
              <option value="">${msg('Whoever is available', { id: 'supervision.debrief.any' })}</option>
              ${this.supervisors.map((u) => html`<option value=${u}>${u}</option>`)}
            </select>
          </div>
          <div class="field"><label for="debrief-session">${msg('About a session (optional)', { id: 'supervision.debrief.session' })}</label>
            <select id="debrief-session" name="session">
              <option value="">${msg('No particular session', { id: 'supervision.debrief.no-session' })}</option>
              ${this.sessions.map((x) => html`<option value=${x.session_id}>${this.sessionLabel(x)}</option>`)}
            </select>
          </div>
          <div class="actions"><button class="primary" type="submit" ?disabled=${this.busy}>${msg('Ask for a debrief', { id: 'supervision.debrief.submit' })}</button></div>
        </form>
        ${this.debriefs.length > 0 ? html`<ul class="cards" aria-label=${msg('Your debriefs', { id: 'supervision.debrief.list' })}>${this.debriefs.map((d) => html`<li>
          <p>${d.session ? this.sessionLabel({ topic: d.session.topic, created_ts: d.session.started_ts }) : msg('General debrief', { id: 'supervision.debrief.general' })} · ${d.supervisor}</p>
          ${this.consentNote(d)}
          ${d.room_id ? html`<button @click=${() => this.openRoom(d.room_id!)}>${msg('Open debrief room', { id: 'supervision.debrief.open' })}</button>` : nothing}
        </li>`)}</ul>` : nothing}
      </section>`;
  }
}

customElements.define('peerline-supervision-supporter', SupervisionSupporter);

declare global {
  interface HTMLElementTagNameMap { 'peerline-supervision-supporter': SupervisionSupporter }
}
