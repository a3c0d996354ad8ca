// Supervision in the counsellor desk: every supporter's caseload as a table (sessions, active now,
// median length, escalations, open flags, today against the cap, break), one supporter's sessions
// as metadata on demand (that read is audited by the bridge), the sessions supporters flagged for
// review (mark reviewed), and the debriefs supporters asked for (open the encrypted room). The
// bridge never sends a student or any content here, so there is none to show.
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import {
  durationMinutes, getCaseload, getSupporterCaseload, listDebriefs, listFlags, reviewFlag,
  type CaseloadView, type DebriefView, type FlagView, type SupervisionBridge, type SupporterCaseload, type SupporterSummary,
} from '../../../bridge/supervision-api.ts';
import { flagReasonLabel } from '../supervision-shared/flag-reasons.ts';
import { topicLabel } from '../supporter-shared/supporter.styles.ts';
import { supervisionDeskStyles } from './supervision-desk.styles.ts';

const when = (ts: number): string => new Date(ts).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const minutes = (ms: number | null): string => (ms === null ? '–' : msg(str`${durationMinutes(ms)} min`, { id: 'supervision.minutes' }));

export class SupervisionDesk extends LitElement {
  static override properties = {
    bridge: { attribute: false }, topics: { attribute: false },
    caseload: { state: true }, detail: { state: true }, flags: { state: true }, debriefs: { state: true }, notSupervisor: { state: true }, unavailable: { state: true },
    busy: { state: true }, announcement: { state: true }, problem: { state: true },
  };
  static override styles = supervisionDeskStyles;
  declare bridge: SupervisionBridge | null;
  declare topics: { id: string; label: string }[];
  declare caseload: CaseloadView | null;
  declare detail: SupporterCaseload | null;
  declare flags: FlagView[];
  declare debriefs: DebriefView[];
  declare notSupervisor: boolean;
  declare unavailable: boolean;
  declare busy: boolean;
  declare announcement: string;
  declare problem: string;
  private loadedFor: SupervisionBridge | null = null;

  constructor() {
    super();
    this.bridge = null;
    this.topics = [];
    this.caseload = null;
    this.detail = null;
    this.flags = [];
    this.debriefs = [];
    this.notSupervisor = false;
    this.unavailable = false;
    this.busy = false;
    this.announcement = '';
    this.problem = '';
    updateWhenLocaleChanges(this);
  }

  override updated(): void {
    if (this.bridge && this.loadedFor !== this.bridge) {
      this.loadedFor = this.bridge;
      void this.load();
    }
  }

  async load(): Promise<void> {
    const b = this.bridge;
    if (!b) return;
    const [caseload, flags, debriefs] = await Promise.allSettled([getCaseload(b), listFlags(b), listDebriefs(b)]);
    const failed = caseload.status === 'rejected' ? (caseload.reason as { status?: number }).status : null;
    if (failed === 403) {
      this.notSupervisor = true;
    } else if (failed === 404) {
      // A bridge without supervision: the section stays out of the way.
      this.unavailable = true;
      return;
    } else if (caseload.status === 'rejected') {
      this.problem = msg('Supervision could not be loaded. Please try again.', { id: 'supervision.problem.load' });
    }
    if (caseload.status === 'fulfilled') this.caseload = caseload.value;
    if (flags.status === 'fulfilled') this.flags = flags.value;
    if (debriefs.status === 'fulfilled') this.debriefs = debriefs.value;
  }

  private async showDetail(userId: string): Promise<void> {
    const b = this.bridge;
    if (!b) return;
    this.busy = true;
    this.problem = '';
    try {
      this.detail = await getSupporterCaseload(b, userId);
      this.announcement = msg(str`Sessions of ${userId} shown below.`, { id: 'supervision.announce.detail' });
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('#detail-h')?.focus();
    } catch {
      this.problem = msg('That did not work. Please try again.', { id: 'supervision.problem.action' });
    } finally {
      this.busy = false;
    }
  }

  private async review(flagId: string): Promise<void> {
    const b = this.bridge;
    if (!b) return;
    this.busy = true;
    this.problem = '';
    try {
      await reviewFlag(b, flagId);
      this.flags = this.flags.filter((f) => f.flag_id !== flagId);
      this.announcement = msg('Marked as reviewed.', { id: 'supervision.announce.reviewed' });
    } catch {
      this.problem = msg('That did not work. Please try again.', { id: 'supervision.problem.action' });
    } finally {
      this.busy = false;
    }
  }

  private state(s: SupporterSummary): string {
    if (s.on_break) return msg('On a wellbeing break', { id: 'supervision.desk.on-break' });
    if (s.blocked === 'daily_cap') return msg('Reached today\'s limit', { id: 'supervision.desk.capped' });
    return msg('Taking requests when available', { id: 'supervision.desk.ok' });
  }

  private table(c: CaseloadView) {
    if (c.supporters.length === 0) return html`<p class="muted">${msg('No supporters on the roster yet.', { id: 'supervision.desk.no-supporters' })}</p>`;
    return html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="caseload-caption"><table>
      <caption id="caseload-caption">${msg('Caseloads of the last 30 days (metadata only)', { id: 'supervision.desk.caption' })}</caption>
      <thead><tr>
        <th scope="col">${msg('Supporter', { id: 'supervision.desk.col.supporter' })}</th>
        <th scope="col">${msg('Sessions', { id: 'supervision.desk.col.sessions' })}</th>
        <th scope="col">${msg('Active now', { id: 'supervision.desk.col.active' })}</th>
        <th scope="col">${msg('Median length', { id: 'supervision.desk.col.median' })}</th>
        <th scope="col">${msg('Escalations', { id: 'supervision.desk.col.escalations' })}</th>
        <th scope="col">${msg('Open flags', { id: 'supervision.desk.col.flags' })}</th>
        <th scope="col">${msg('Today', { id: 'supervision.desk.col.today' })}</th>
        <th scope="col">${msg('State', { id: 'supervision.desk.col.state' })}</th>
        <th scope="col"><span class="muted">${msg('Details', { id: 'supervision.desk.col.details' })}</span></th>
      </tr></thead>
      <tbody>${c.supporters.map((s) => html`<tr>
        <th scope="row">${s.user_id}</th>
        <td class="num">${s.sessions}</td>
        <td class="num">${s.active_now}</td>
        <td class="num">${minutes(s.median_duration_ms)}</td>
        <td class="num">${s.escalations}</td>
        <td class="num">${s.flags_open}</td>
        <td class="num">${s.daily_cap !== null ? `${s.sessions_today} / ${s.daily_cap}` : s.sessions_today}</td>
        <td>${this.state(s)}</td>
        <td><button ?disabled=${this.busy} aria-label=${msg(str`Details for ${s.user_id}`, { id: 'supervision.desk.details-for' })} @click=${() => { void this.showDetail(s.user_id); }}>${msg('Details', { id: 'supervision.desk.col.details' })}</button></td>
      </tr>`)}</tbody>
    </table></div>`;
  }

  private detailList(d: SupporterCaseload) {
    return html`<section aria-labelledby="detail-h">
      <h3 id="detail-h" tabindex="-1">${msg(str`Sessions of ${d.summary.user_id}`, { id: 'supervision.desk.details-of' })}</h3>
      ${d.sessions.length === 0 ? html`<p class="muted">${msg('No sessions in this period.', { id: 'supervision.desk.no-sessions' })}</p>` : html`
        <ul class="cards">${d.sessions.map((s) => html`<li>
          <p><strong>${topicLabel(this.topics, s.topic)}</strong> · ${when(s.started_ts)} · ${minutes(s.duration_ms)}</p>
          <p class="meta">
            ${s.outcome ? msg(str`Wrap-up: ${s.outcome}`, { id: 'supervision.desk.outcome' }) : msg('Going on or not wrapped up', { id: 'supervision.desk.no-outcome' })}
            ${s.escalated ? html` · ${msg('Escalated with consent', { id: 'supervision.desk.escalated' })}` : nothing}
            ${s.scope === 'partner' ? html` · ${msg('Partner institution\'s student', { id: 'supervision.desk.partner' })}` : nothing}
            ${s.flag ? html` · ${msg(str`Flagged: ${flagReasonLabel(s.flag.reason_code)}`, { id: 'supervision.desk.flagged' })}` : nothing}
          </p>
        </li>`)}</ul>`}
    </section>`;
  }

  override render() {
    if (this.unavailable) return nothing;
    if (this.notSupervisor) {
      return html`<h2 tabindex="-1">${msg('Supervision', { id: 'supervision.desk.title' })}</h2>
        <p class="muted">${msg('You are not one of the supervisors here. Your institution decides who supervises supporters.', { id: 'supervision.desk.not-supervisor' })}</p>`;
    }
    return html`
      <h2 tabindex="-1">${msg('Supervision', { id: 'supervision.desk.title' })}</h2>
      <p class="hint">${msg('What supporters do, as metadata only: never a student or what was said.', { id: 'supervision.desk.hint' })}</p>
      <p class="status" role="status" aria-live="polite">${this.announcement}</p>
      <p class="problem" role="alert">${this.problem}</p>
      ${this.caseload ? this.table(this.caseload) : html`<p class="muted">${msg('Loading …', { id: 'supervision.loading' })}</p>`}
      ${this.detail ? this.detailList(this.detail) : nothing}
      <section aria-labelledby="flags-h">
        <h3 id="flags-h">${msg('Flagged for review', { id: 'supervision.desk.flags' })}</h3>
        ${this.flags.length === 0 ? html`<p class="muted">${msg('Nothing waits for review.', { id: 'supervision.desk.no-flags' })}</p>` : html`
          <ul class="cards">${this.flags.map((f) => html`<li>
            <p><strong>${f.supporter}</strong> — ${flagReasonLabel(f.reason_code)}</p>
            ${f.session ? html`<p class="meta">${topicLabel(this.topics, f.session.topic)} · ${when(f.session.started_ts)} · ${minutes(f.session.duration_ms)}</p>` : nothing}
            <button ?disabled=${this.busy} @click=${() => { void this.review(f.flag_id); }}>${msg('Mark reviewed', { id: 'supervision.desk.review' })}</button>
          </li>`)}</ul>`}
      </section>
      <section aria-labelledby="debriefs-h">
        <h3 id="debriefs-h">${msg('Debrief requests', { id: 'supervision.desk.debriefs' })}</h3>
        ${this.debriefs.length === 0 ? html`<p class="muted">${msg('No debriefs yet.', { id: 'supervision.desk.no-debriefs' })}</p>` : html`
          <ul class="cards">${this.debriefs.map((d) => html`<li>
            <p><strong>${d.supporter}</strong> · ${when(d.created_ts)}</p>
            <p class="meta">${d.session
              ? msg(str`About a session on ${topicLabel(this.topics, d.session.topic)}, ${minutes(d.session.duration_ms)}`, { id: 'supervision.desk.debrief-about' })
              : msg('General debrief', { id: 'supervision.debrief.general' })}</p>
            ${d.room_id ? html`<button @click=${() => this.dispatchEvent(new CustomEvent('open-room', { detail: { roomId: d.room_id }, bubbles: true, composed: true }))}>${msg('Open debrief room', { id: 'supervision.debrief.open' })}</button>` : nothing}
          </li>`)}</ul>`}
      </section>`;
  }
}

customElements.define('peerline-supervision-desk', SupervisionDesk);

declare global {
  interface HTMLElementTagNameMap { 'peerline-supervision-desk': SupervisionDesk }
}
