// The student's peer sessions: open the room, end an active session (after a confirm step), and
// accept or decline a check-in the supporter offered. The desk view makes the calls; this element
// only shows the sessions and says what the student chose, through events.
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import type { PeerSessionView } from '../../../bridge/student-api.ts';
import { ConfirmStep } from '../student-shared/confirm-step.ts';
import { when } from '../student-shared/when.ts';
import { sessionListStyles } from './session-list.styles.ts';

export interface EndSessionEvent extends CustomEvent<{ sessionId: string }> { type: 'end-session' }
export interface CheckInAnswerEvent extends CustomEvent<{ sessionId: string; accept: boolean }> { type: 'check-in-answer' }

export class SessionList extends LitElement {
  static override properties = {
    sessions: { attribute: false }, topicLabels: { attribute: false }, busy: { attribute: false },
  };
  static override styles = sessionListStyles;
  declare sessions: PeerSessionView[];
  /** Topic id → the label the policy gives it. */
  declare topicLabels: Record<string, string>;
  /** The session an answer is on its way for (its buttons are disabled). */
  declare busy: string | null;
  private readonly confirm = new ConfirmStep(this, 'data-end');

  constructor() {
    super();
    this.sessions = [];
    this.topicLabels = {};
    this.busy = null;
    updateWhenLocaleChanges(this);
  }

  private emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  private end(id: string): void {
    this.confirm.close();
    this.emit('end-session', { sessionId: id });
  }

  private stateText(s: PeerSessionView): string {
    switch (s.status) {
      case 'creating': return msg('Your conversation is being set up …', { id: 'student.session.creating' });
      case 'active': return msg('Going on now', { id: 'student.session.active' });
      case 'failed': return msg('This conversation could not be set up.', { id: 'student.session.failed' });
      case 'ended': return s.ended_ts ? msg(str`Ended ${when(s.ended_ts)}`, { id: 'student.session.ended-at' }) : msg('Ended', { id: 'student.session.ended' });
    }
  }

  private checkIn(s: PeerSessionView) {
    const c = s.check_in;
    if (!c) return nothing;
    const at = when(c.proposed_ts);
    switch (c.status) {
      case 'offered': return html`
        <div class="check-in" role="group" aria-labelledby="ci-${s.session_id}">
          <p id="ci-${s.session_id}">${msg(str`Your supporter offered to check in with you on ${at}. Would you like that?`, { id: 'student.checkin.offer' })}</p>
          <div class="actions">
            <button type="button" class="primary" ?disabled=${this.busy === s.session_id} @click=${() => this.emit('check-in-answer', { sessionId: s.session_id, accept: true })}>${msg('Yes, check in with me', { id: 'student.checkin.accept' })}</button>
            <button type="button" ?disabled=${this.busy === s.session_id} @click=${() => this.emit('check-in-answer', { sessionId: s.session_id, accept: false })}>${msg('No, thank you', { id: 'student.checkin.decline' })}</button>
          </div>
        </div>`;
      case 'accepted': return html`<p class="check-in">${msg(str`Check-in agreed for ${at}.`, { id: 'student.checkin.accepted' })}</p>`;
      case 'declined': return html`<p class="check-in">${msg('You said no to a check-in.', { id: 'student.checkin.declined' })}</p>`;
      case 'started': return html`<p class="check-in">${msg('Your supporter is back for the check-in.', { id: 'student.checkin.started' })}</p>`;
    }
  }

  private session(s: PeerSessionView) {
    const topic = this.topicLabels[s.topic] ?? s.topic;
    const busy = this.busy === s.session_id;
    return html`<li>
      <h3 id="topic-${s.session_id}">${topic}</h3>
      <p class="state">${this.stateText(s)}</p>
      <p class="meta">${msg(str`Started ${when(s.created_ts)}`, { id: 'student.session.started' })}</p>
      <div class="actions">
        ${s.room_id && s.status !== 'failed' ? html`<button type="button" @click=${() => this.emit('open-room', { roomId: s.room_id })}
            aria-label=${msg(str`Open conversation: ${topic}`, { id: 'student.session.open-label' })}>${msg('Open conversation', { id: 'student.session.open' })}</button>` : nothing}
        ${s.status === 'active' && this.confirm.open !== s.session_id ? html`<button type="button" data-end=${s.session_id} ?disabled=${busy} aria-describedby="topic-${s.session_id}"
            @click=${() => { void this.confirm.ask(s.session_id); }}>${msg('End this session', { id: 'student.session.end' })}</button>` : nothing}
      </div>
      ${this.confirm.open === s.session_id ? html`
        <div class="confirm" role="group" aria-labelledby="confirm-${s.session_id}">
          <p id="confirm-${s.session_id}">${msg('End this session? Your supporter leaves the conversation and nobody can write in it any more. You can still read it, and ask for support again at any time.', { id: 'student.session.confirm' })}</p>
          <div class="actions">
            <button type="button" class="danger" @click=${() => this.end(s.session_id)}>${msg('Yes, end it', { id: 'student.session.confirm-yes' })}</button>
            <button type="button" data-keep=${s.session_id} @click=${() => { void this.confirm.keep(s.session_id); }}>${msg('No, keep it open', { id: 'student.session.confirm-no' })}</button>
          </div>
        </div>` : nothing}
      ${this.checkIn(s)}
    </li>`;
  }

  override render() {
    if (this.sessions.length === 0) return html`<p class="muted">${msg('No conversations with a supporter yet.', { id: 'student.sessions.none' })}</p>`;
    return html`<ul class="cards">${this.sessions.map((s) => this.session(s))}</ul>`;
  }
}

customElements.define('peerline-session-list', SessionList);

declare global {
  interface HTMLElementTagNameMap { 'peerline-session-list': SessionList }
}
