// A support group's moderation desk for its moderators (supporters trained for the topic, admins):
// choose a member, an action (mute, unmute, remove, ban, lift a ban) and a reason, confirm, and the
// bridge's bot applies it; below, the group's open reports with the text reporters chose to share,
// each closable. Results are announced in a status region, failures in an alert. Emits
// `moderation-applied` ({ groupId, action, userId }) and `report-closed` ({ groupId, reportId }).
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { BridgeError, type BridgeClient } from '../../../bridge/bridge-client.ts';
import {
  closeReport, groupMembers, groupReports, moderateMember, MODERATION_ACTIONS, MODERATION_REASON_MAX,
  type GroupMemberState, type ModerationAction, type ReportView,
} from '../../../bridge/moderation-api.ts';
import { reportReasonLabel } from '../report-dialog/report-dialog.component.ts';
import { groupModerationStyles } from './group-moderation.styles.ts';

export interface ModeratedGroup { group_id: string; room_id: string; name: string }
export interface KnownMember { userId: string; displayName: string }

export type ModerationAppliedEvent = CustomEvent<{ groupId: string; action: ModerationAction; userId: string }>;
export type ReportClosedEvent = CustomEvent<{ groupId: string; reportId: string }>;

type Problem = 'member' | 'action' | 'reason' | 'forbidden' | 'not-member' | 'no-change' | 'not-possible' | 'network' | 'server';

function actionLabel(a: ModerationAction): string {
  switch (a) {
    case 'mute': return msg('Mute: they can read but not write', { id: 'moderation.action.mute' });
    case 'unmute': return msg('Unmute', { id: 'moderation.action.unmute' });
    case 'kick': return msg('Remove from the group: they may join again', { id: 'moderation.action.kick' });
    case 'ban': return msg('Ban: removed and cannot join again', { id: 'moderation.action.ban' });
    case 'unban': return msg('Lift a ban', { id: 'moderation.action.unban' });
  }
}

function confirmText(a: ModerationAction, who: string, group: string): string {
  switch (a) {
    case 'mute': return msg(str`Mute ${who} in ${group}?`, { id: 'moderation.confirm.mute' });
    case 'unmute': return msg(str`Unmute ${who} in ${group}?`, { id: 'moderation.confirm.unmute' });
    case 'kick': return msg(str`Remove ${who} from ${group}?`, { id: 'moderation.confirm.kick' });
    case 'ban': return msg(str`Ban ${who} from ${group}?`, { id: 'moderation.confirm.ban' });
    case 'unban': return msg(str`Lift the ban on ${who} in ${group}?`, { id: 'moderation.confirm.unban' });
  }
}

function doneText(a: ModerationAction, who: string): string {
  switch (a) {
    case 'mute': return msg(str`${who} is muted.`, { id: 'moderation.done.mute' });
    case 'unmute': return msg(str`${who} can write again.`, { id: 'moderation.done.unmute' });
    case 'kick': return msg(str`${who} was removed from the group.`, { id: 'moderation.done.kick' });
    case 'ban': return msg(str`${who} is banned from the group.`, { id: 'moderation.done.ban' });
    case 'unban': return msg(str`The ban on ${who} is lifted.`, { id: 'moderation.done.unban' });
  }
}

function problemOf(err: unknown): Problem {
  if (!(err instanceof BridgeError)) return 'server';
  switch (err.status) {
    case 0: return 'network';
    case 400: return 'not-possible';
    case 403: return 'forbidden';
    case 404: return 'not-member';
    case 409: return 'no-change';
    default: return 'server';
  }
}

export class GroupModeration extends LitElement {
  static override properties = {
    bridge: { attribute: false },
    group: { attribute: false },
    members: { attribute: false },
    bridgeMembers: { state: true },
    reports: { state: true },
    loading: { state: true },
    loadProblem: { state: true },
    target: { state: true },
    action: { state: true },
    reason: { state: true },
    confirming: { state: true },
    busy: { state: true },
    problem: { state: true },
    reportProblem: { state: true },
    announcement: { state: true },
  };
  static override styles = groupModerationStyles;
  declare bridge: BridgeClient | null;
  declare group: ModeratedGroup | null;
  /** Names as the room shows them (pseudonyms); optional — the bridge's member list is used too. */
  declare members: KnownMember[] | null;
  declare bridgeMembers: GroupMemberState[];
  declare reports: ReportView[];
  declare loading: boolean;
  declare loadProblem: Problem | null;
  declare target: string;
  declare action: ModerationAction | null;
  declare reason: string;
  declare confirming: boolean;
  declare busy: boolean;
  declare problem: Problem | null;
  declare reportProblem: Problem | null;
  declare announcement: string;
  private loadSeq = 0;

  constructor() {
    super();
    this.bridge = null;
    this.group = null;
    this.members = null;
    this.bridgeMembers = [];
    this.reports = [];
    this.loading = false;
    this.loadProblem = null;
    this.target = '';
    this.action = null;
    this.reason = '';
    this.confirming = false;
    this.busy = false;
    this.problem = null;
    this.reportProblem = null;
    this.announcement = '';
    updateWhenLocaleChanges(this);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if ((changed.has('bridge') || changed.has('group')) && this.bridge && this.group) void this.load();
  }

  /** Reads the members' state and the open reports again. */
  async load(): Promise<void> {
    const bridge = this.bridge;
    const group = this.group;
    if (!bridge || !group) return;
    const seq = ++this.loadSeq;
    this.loading = true;
    try {
      const [members, reports] = await Promise.all([groupMembers(bridge, group.group_id), groupReports(bridge, group.group_id)]);
      if (seq !== this.loadSeq) return;
      this.bridgeMembers = members;
      this.reports = reports;
      this.loadProblem = null;
    } catch (e) {
      if (seq === this.loadSeq) this.loadProblem = problemOf(e);
    } finally {
      if (seq === this.loadSeq) this.loading = false;
    }
  }

  private nameOf(userId: string): string {
    return this.members?.find((m) => m.userId === userId)?.displayName
      || this.bridgeMembers.find((m) => m.user_id === userId)?.display_name
      || userId;
  }

  private memberOptions(): { userId: string; label: string }[] {
    const ids = [...new Set([...(this.members ?? []).map((m) => m.userId), ...this.bridgeMembers.map((m) => m.user_id)])];
    return ids.map((userId) => {
      const state = this.bridgeMembers.find((m) => m.user_id === userId);
      const name = this.nameOf(userId);
      const label = state?.membership === 'ban' ? msg(str`${name} (banned)`, { id: 'moderation.member.banned' })
        : state?.muted && (state.membership === 'join' || state.membership === 'invite') ? msg(str`${name} (muted)`, { id: 'moderation.member.muted' })
        : state?.membership === 'leave' ? msg(str`${name} (left)`, { id: 'moderation.member.left' })
        : name;
      return { userId, label };
    }).sort((a, b) => a.label.localeCompare(b.label));
  }

  private async focusOn(selector: string): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(selector)?.focus();
  }

  private review(e: Event): void {
    e.preventDefault();
    this.announcement = '';
    const missing: Problem | null = this.target === '' ? 'member' : this.action === null ? 'action' : this.reason.trim() === '' ? 'reason' : null;
    if (missing) {
      this.problem = missing;
      void this.focusOn(missing === 'member' ? '#mod-member' : missing === 'action' ? 'input[name=action]' : '#mod-reason');
      return;
    }
    this.problem = null;
    this.confirming = true;
    void this.focusOn('#mod-confirm-text');
  }

  private back(): void {
    this.confirming = false;
    void this.focusOn('#mod-review');
  }

  private async apply(): Promise<void> {
    const bridge = this.bridge;
    const group = this.group;
    const action = this.action;
    if (!bridge || !group || !action || this.busy) return;
    this.busy = true;
    this.problem = null;
    const userId = this.target;
    const name = this.nameOf(userId);
    try {
      const r = await moderateMember(bridge, group.group_id, { action, user_id: userId, reason: this.reason.trim() });
      this.bridgeMembers = [...this.bridgeMembers.filter((m) => m.user_id !== userId), r.member];
      this.announcement = doneText(action, name);
      this.confirming = false;
      this.reason = '';
      this.action = null;
      this.dispatchEvent(new CustomEvent('moderation-applied', { detail: { groupId: group.group_id, action, userId }, bubbles: true, composed: true }) satisfies ModerationAppliedEvent);
      void this.focusOn('#mod-member');
    } catch (err) {
      this.problem = problemOf(err);
      this.confirming = false;
      void this.focusOn('#mod-review');
    } finally {
      this.busy = false;
    }
  }

  private async close(report: ReportView): Promise<void> {
    const bridge = this.bridge;
    const group = this.group;
    if (!bridge || !group) return;
    const index = this.reports.indexOf(report);
    try {
      await closeReport(bridge, report.report_id);
      this.reportProblem = null;
    } catch (err) {
      const p = problemOf(err);
      // Closed already (by a colleague): it goes from the list all the same.
      if (p !== 'no-change') {
        this.reportProblem = p;
        return;
      }
    }
    this.reports = this.reports.filter((r) => r.report_id !== report.report_id);
    this.announcement = msg('Report closed.', { id: 'moderation.report.closed' });
    this.dispatchEvent(new CustomEvent('report-closed', { detail: { groupId: group.group_id, reportId: report.report_id }, bubbles: true, composed: true }) satisfies ReportClosedEvent);
    const next = this.reports[Math.min(index, this.reports.length - 1)];
    void this.focusOn(next ? `li[data-report-id="${CSS.escape(next.report_id)}"] h4` : '#mod-reports-heading');
  }

  private chooseMember(userId: string): void {
    this.target = userId;
    this.confirming = false;
    void this.focusOn('input[name=action]');
  }

  private problemText(p: Problem): string {
    switch (p) {
      case 'member': return msg('Choose a member.', { id: 'moderation.problem.member' });
      case 'action': return msg('Choose what to do.', { id: 'moderation.problem.action' });
      case 'reason': return msg('Give a reason. It is kept in the audit log.', { id: 'moderation.problem.reason' });
      case 'forbidden': return msg('You do not moderate this group, or this member moderates it too.', { id: 'moderation.problem.forbidden' });
      case 'not-member': return msg('This member or group cannot be found any more.', { id: 'moderation.problem.not-member' });
      case 'no-change': return msg('Nothing changed: the member is already in that state.', { id: 'moderation.problem.no-change' });
      case 'not-possible': return msg('This action is not possible for this member.', { id: 'moderation.problem.not-possible' });
      case 'network': return msg('No connection to the support service. Please try again.', { id: 'moderation.problem.network' });
      case 'server': return msg('Something went wrong. Please try again.', { id: 'moderation.problem.server' });
    }
  }

  private when(ts: number): string {
    return new Intl.DateTimeFormat(document.documentElement.lang || 'en', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ts));
  }

  private renderForm() {
    const p = this.problem;
    const g = this.group!;
    const options = this.memberOptions();
    const invalid = (which: Problem): string => (p === which ? 'true' : 'false');
    return html`
      <form @submit=${this.review} novalidate aria-labelledby="mod-form-heading">
        <h3 id="mod-form-heading">${msg('Act on a member', { id: 'moderation.form.heading' })}</h3>
        <label class="block" for="mod-member">${msg('Member', { id: 'moderation.member' })}</label>
        <select id="mod-member" .value=${this.target} aria-invalid=${invalid('member')} aria-describedby=${p === 'member' ? 'mod-problem' : nothing}
          ?disabled=${this.confirming} @change=${(e: Event) => { this.target = (e.target as HTMLSelectElement).value; if (p === 'member') this.problem = null; }}>
          <option value="" ?selected=${this.target === ''}>${msg('Choose a member', { id: 'moderation.member.choose' })}</option>
          ${options.map((o) => html`<option value=${o.userId} ?selected=${this.target === o.userId}>${o.label}</option>`)}
        </select>
        <fieldset aria-invalid=${invalid('action')} aria-describedby=${p === 'action' ? 'mod-problem' : nothing} ?disabled=${this.confirming}>
          <legend>${msg('What to do', { id: 'moderation.action.legend' })}</legend>
          ${MODERATION_ACTIONS.map((a) => html`
            <label class="choice"><input type="radio" name="action" value=${a} .checked=${this.action === a}
              @change=${() => { this.action = a; if (p === 'action') this.problem = null; }}> ${actionLabel(a)}</label>`)}
        </fieldset>
        <label class="block" for="mod-reason">${msg('Reason (required)', { id: 'moderation.reason' })}</label>
        <textarea id="mod-reason" maxlength=${MODERATION_REASON_MAX} .value=${this.reason} ?disabled=${this.confirming}
          aria-invalid=${invalid('reason')} aria-describedby="mod-reason-hint${p === 'reason' ? ' mod-problem' : ''}"
          @input=${(e: Event) => { this.reason = (e.target as HTMLTextAreaElement).value; if (p === 'reason') this.problem = null; }}></textarea>
        <p id="mod-reason-hint" class="hint">${msg('Kept in the audit log with your name. It is not shown in the group.', { id: 'moderation.reason-hint' })}</p>
        <p id="mod-problem" class="problem" role="alert">${p ? this.problemText(p) : nothing}</p>
        ${this.confirming ? html`
          <div class="confirm" role="group" aria-labelledby="mod-confirm-text">
            <p id="mod-confirm-text" tabindex="-1"><strong>${confirmText(this.action!, this.nameOf(this.target), g.name)}</strong></p>
            <p class="hint">${msg(str`Reason: ${this.reason.trim()}`, { id: 'moderation.confirm.reason' })}</p>
            <div class="actions">
              <button type="button" class="primary" ?disabled=${this.busy} @click=${() => void this.apply()}>
                ${this.busy ? msg('Applying …', { id: 'moderation.applying' }) : msg('Yes, do it', { id: 'moderation.confirm.yes' })}</button>
              <button type="button" ?disabled=${this.busy} @click=${() => this.back()}>${msg('Back', { id: 'moderation.confirm.back' })}</button>
            </div>
          </div>` : html`
          <div class="actions"><button id="mod-review" type="submit" class="primary">${msg('Continue', { id: 'moderation.review' })}</button></div>`}
      </form>`;
  }

  private renderReports() {
    return html`
      <section aria-labelledby="mod-reports-heading">
        <h3 id="mod-reports-heading" tabindex="-1">${msg(str`Open reports (${this.reports.length})`, { id: 'moderation.reports.heading' })}</h3>
        <p class="problem" role="alert">${this.reportProblem ? this.problemText(this.reportProblem) : nothing}</p>
        ${this.reports.length === 0 ? html`<p class="hint">${msg('No open reports.', { id: 'moderation.reports.none' })}</p>` : html`
          <ul class="reports">
            ${this.reports.map((r) => html`
              <li data-report-id=${r.report_id} aria-labelledby="rep-${r.report_id}">
                <h4 id="rep-${r.report_id}" tabindex="-1">${reportReasonLabel(r.reason_code)}</h4>
                <p class="meta">${msg(str`Message from ${this.nameOf(r.reported_user_id)} · reported ${this.when(r.created_ts)}`, { id: 'moderation.reports.meta' })}</p>
                ${r.shared_text !== null ? html`<blockquote>${r.shared_text}</blockquote>`
                  : html`<p class="hint">${msg('The reporter shared no text.', { id: 'moderation.reports.no-text' })}</p>`}
                <div class="actions">
                  <button type="button" @click=${() => this.chooseMember(r.reported_user_id)}>
                    ${msg('Act on this member', { id: 'moderation.reports.act' })}<span class="visually-hidden"> ${this.nameOf(r.reported_user_id)}</span></button>
                  <button type="button" @click=${() => void this.close(r)}>${msg('Close report', { id: 'moderation.reports.close' })}<span class="visually-hidden"> ${reportReasonLabel(r.reason_code)}</span></button>
                </div>
              </li>`)}
          </ul>`}
        <button type="button" @click=${() => void this.load()} ?disabled=${this.loading}>${msg('Refresh', { id: 'moderation.refresh' })}</button>
      </section>`;
  }

  override render() {
    const g = this.group;
    return html`
      <h2>${g ? msg(str`Moderation: ${g.name}`, { id: 'moderation.heading' }) : msg('Moderation', { id: 'moderation.heading-none' })}</h2>
      <p class="visually-hidden" role="status">${this.announcement}</p>
      ${!g || !this.bridge ? html`<p class="hint">${msg('Loading …', { id: 'moderation.loading' })}</p>`
        : this.loadProblem ? html`
          <p class="problem" role="alert">${this.problemText(this.loadProblem)}</p>
          <button type="button" @click=${() => void this.load()}>${msg('Try again', { id: 'moderation.retry' })}</button>`
        : html`<section>${this.renderForm()}</section>${this.renderReports()}`}
    `;
  }
}

customElements.define('peerline-group-moderation', GroupModeration);

declare global {
  interface HTMLElementTagNameMap { 'peerline-group-moderation': GroupModeration }
  interface HTMLElementEventMap { 'moderation-applied': ModerationAppliedEvent; 'report-closed': ReportClosedEvent }
}
