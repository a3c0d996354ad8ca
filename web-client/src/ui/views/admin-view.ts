// The admin desk: a small matching overview, then tabs for the policy (summary, load status, reload
// with the validation errors of a rejected file), the roster, aggregate figures as charts, and the
// audit log with its chain status. Talks to the bridge through bridge/admin-api.ts; the admin sees
// metadata and aggregates only, never content.
import { html, css, nothing, type PropertyValues } from 'lit';
import { msg, str } from '@lit/localize';
import { DeskView } from './desk-view.ts';
import { BridgeError, type BridgeClient } from '../../bridge/bridge-client.ts';
import * as api from '../../bridge/admin-api.ts';
import '../components/admin-tabs/admin-tabs.component.ts';
import '../components/admin-policy/admin-policy.component.ts';
import '../components/admin-roster/admin-roster.component.ts';
import '../components/admin-figures/admin-figures.component.ts';
import '../components/admin-audit/admin-audit.component.ts';
import '../components/admin-matching/admin-matching.component.ts';
import '../components/admin-report/admin-report.component.ts';
import * as reportApi from '../../bridge/report-api.ts';
import type { ReportDownloadEvent, ReportPeriodEvent } from '../components/admin-report/admin-report.component.ts';
import type { AdminRoster, RemoveRosterEvent, RosterForm, SaveCounsellorEvent, SaveSupporterEvent, AddAdminEvent } from '../components/admin-roster/admin-roster.component.ts';
import type { TabChangeEvent } from '../components/admin-tabs/admin-tabs.component.ts';
import type { AuditPageEvent } from '../components/admin-audit/admin-audit.component.ts';

type Tab = 'policy' | 'roster' | 'figures' | 'report' | 'audit';
const AUDIT_PAGE = 25;

export class AdminView extends DeskView {
  static override properties = {
    tab: { state: true }, loadProblem: { state: true }, policy: { state: true }, policyStatus: { state: true }, reloadResult: { state: true },
    reloadBusy: { state: true }, reloadFailure: { state: true }, supporters: { state: true }, counsellors: { state: true }, admins: { state: true },
    rosterError: { state: true }, rosterBusy: { state: true }, rosterStatus: { state: true }, figures: { state: true }, figuresProblem: { state: true },
    matching: { state: true }, audit: { state: true }, auditBefore: { state: true }, auditBusy: { state: true }, auditProblem: { state: true },
    report: { state: true }, reportBusy: { state: true }, reportStatus: { state: true },
  };
  static override styles = css`
    :host { display: block; max-width: 64rem; margin: 0 auto; padding: var(--pl-space-3); }
    h1 { font-size: 1.5rem; margin: 0 0 var(--pl-space-2); }
    h1:focus { outline: none; }
    h2 { font-size: 1.25rem; margin: 0 0 var(--pl-space-2); }
    p { margin: 0 0 var(--pl-space-2); }
    .overview { border: 1px solid var(--pl-border); border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3); margin-bottom: var(--pl-space-3); }
    .problem { color: var(--pl-danger); border-left: 4px solid var(--pl-danger); padding-left: var(--pl-space-2); }
    .muted { color: var(--pl-text-muted); }
    .head { display: flex; flex-wrap: wrap; gap: var(--pl-space-2); align-items: center; justify-content: space-between; }
    button { font: inherit; cursor: pointer; min-height: 2.75rem; border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-3); color: var(--pl-text); background: var(--pl-surface); border: 2px solid var(--pl-border-strong); }
    button:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  `;
  declare tab: Tab;
  declare loadProblem: string | null;
  declare policy: api.InstitutionPolicy | null;
  declare policyStatus: api.PolicyStatus | null;
  declare reloadResult: api.ReloadResult | null;
  declare reloadBusy: boolean;
  declare reloadFailure: string | null;
  declare supporters: api.Supporter[];
  declare counsellors: api.Counsellor[];
  declare admins: api.Admin[];
  declare rosterError: { form: RosterForm; error: api.AdminError } | null;
  declare rosterBusy: RosterForm | null;
  declare rosterStatus: string;
  declare figures: api.FiguresReport | null;
  declare figuresProblem: string | null;
  declare matching: api.MatchingStatus | null;
  declare audit: api.AuditPage | null;
  /** The `before` of each audit page shown so far (undefined: the newest page); the last is on screen. */
  declare auditBefore: (number | undefined)[];
  declare auditBusy: boolean;
  declare auditProblem: string | null;
  declare report: reportApi.ProgramReport | null;
  declare reportBusy: boolean;
  declare reportStatus: string;
  private reportPeriod: reportApi.ReportPeriod = {};
  private loadedFor: BridgeClient | null = null;

  constructor() {
    super();
    this.tab = 'policy';
    this.loadProblem = null;
    this.policy = null;
    this.policyStatus = null;
    this.reloadResult = null;
    this.reloadBusy = false;
    this.reloadFailure = null;
    this.supporters = [];
    this.counsellors = [];
    this.admins = [];
    this.rosterError = null;
    this.rosterBusy = null;
    this.rosterStatus = '';
    this.figures = null;
    this.figuresProblem = null;
    this.matching = null;
    this.audit = null;
    this.auditBefore = [undefined];
    this.auditBusy = false;
    this.auditProblem = null;
    this.report = null;
    this.reportBusy = false;
    this.reportStatus = '';
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('bridge') && this.bridge && this.bridge !== this.loadedFor) {
      this.loadedFor = this.bridge;
      void this.loadAll();
    }
  }

  private describe(e: unknown): string {
    if (e instanceof BridgeError) {
      if (e.status === 0) return msg('The bridge could not be reached. Check the connection and try again.', { id: 'admin.error.network' });
      if (e.status === 403) return msg('This account is not an admin of this institution.', { id: 'admin.error.forbidden' });
      return `${e.errcode}: ${e.message}`;
    }
    return msg('Something went wrong. Please try again.', { id: 'admin.error.unknown' });
  }

  private async loadAll(): Promise<void> {
    const b = this.bridge;
    if (!b) return;
    this.loadProblem = null;
    try {
      const p = await api.getPolicy(b);
      this.policy = p.policy;
      this.policyStatus = p.status;
    } catch (e) {
      this.loadProblem = this.describe(e);
      return;
    }
    await Promise.all([this.loadRoster(), this.loadMatching(), this.loadFigures(), this.loadAudit()]);
  }

  private async loadRoster(): Promise<void> {
    const b = this.bridge;
    if (!b) return;
    try {
      [this.supporters, this.counsellors, this.admins] = await Promise.all([api.listSupporters(b), api.listCounsellors(b), api.listAdmins(b)]);
    } catch (e) {
      this.rosterStatus = this.describe(e);
    }
  }

  private async loadMatching(): Promise<void> {
    if (!this.bridge) return;
    try { this.matching = await api.getMatchingStatus(this.bridge); } catch { this.matching = null; }
  }

  private async loadFigures(): Promise<void> {
    if (!this.bridge) return;
    try {
      this.figures = await api.getFigures(this.bridge);
      this.figuresProblem = null;
    } catch (e) {
      this.figuresProblem = this.describe(e);
    }
  }

  private async loadAudit(): Promise<void> {
    if (!this.bridge) return;
    this.auditBusy = true;
    try {
      const before = this.auditBefore[this.auditBefore.length - 1];
      this.audit = await api.getAudit(this.bridge, { limit: AUDIT_PAGE, ...(before !== undefined ? { before } : {}) });
      this.auditProblem = null;
    } catch (e) {
      this.auditProblem = this.describe(e);
    } finally {
      this.auditBusy = false;
    }
  }

  private onTab(e: TabChangeEvent): void {
    this.tab = e.detail.id as Tab;
    // The log and the figures move on while the desk is open; show them as they are now.
    if (this.tab === 'audit') void this.loadAudit();
    if (this.tab === 'figures') void this.loadFigures();
    if (this.tab === 'report') void this.loadReport();
  }

  /** The program report, fetched when its tab opens or its period changes (each fetch is audited). */
  private async loadReport(): Promise<void> {
    if (!this.bridge) return;
    this.reportBusy = true;
    this.reportStatus = msg('Loading the report…', { id: 'admin.report.loading-status' });
    try {
      this.report = await reportApi.getReport(this.bridge, this.reportPeriod);
      this.reportStatus = '';
    } catch (e) {
      this.reportStatus = `${msg('The report could not be loaded.', { id: 'admin.report.load-failed' })} ${this.describe(e)}`;
    } finally {
      this.reportBusy = false;
    }
  }

  private onReportPeriod(e: ReportPeriodEvent): void {
    this.reportPeriod = { ...(e.detail.from ? { from: e.detail.from } : {}), ...(e.detail.to ? { to: e.detail.to } : {}) };
    void this.loadReport();
  }

  /** CSV: saved as a file. HTML: opened in a new tab from a blob (it needs the session, so no plain link). */
  private async onReportDownload(e: ReportDownloadEvent): Promise<void> {
    if (!this.bridge) return;
    const period = this.report ? { from: this.report.from_week, to: this.report.to_week } : this.reportPeriod;
    this.reportBusy = true;
    try {
      const lang = document.documentElement.lang.startsWith('de') ? 'de' : 'en';
      const file = e.detail.format === 'csv' ? await reportApi.getReportCsv(this.bridge, period) : await reportApi.getReportHtml(this.bridge, period, lang);
      const url = URL.createObjectURL(new Blob([file.text], { type: file.type }));
      const a = document.createElement('a');
      a.href = url;
      if (e.detail.format === 'csv') a.download = `peerline-report-${period.from ?? ''}-${period.to ?? ''}.csv`;
      else { a.target = '_blank'; a.rel = 'noopener'; }
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      this.reportStatus = e.detail.format === 'csv'
        ? msg('The CSV file was downloaded.', { id: 'admin.report.downloaded' })
        : msg('The printable report opened in a new tab.', { id: 'admin.report.opened' });
    } catch (err) {
      this.reportStatus = this.describe(err);
    } finally {
      this.reportBusy = false;
    }
  }

  private async onReload(): Promise<void> {
    if (!this.bridge) return;
    this.reloadBusy = true;
    this.reloadFailure = null;
    try {
      const r = await api.reloadPolicy(this.bridge);
      this.reloadResult = r.result;
      this.policyStatus = r.status;
      if (r.result === 'applied') this.policy = (await api.getPolicy(this.bridge)).policy;
    } catch (e) {
      this.reloadResult = null;
      this.reloadFailure = this.describe(e);
    } finally {
      this.reloadBusy = false;
    }
  }

  /** Runs one roster change: the busy flag, the bridge's error for the form, or a status and a fresh list. */
  private async rosterChange(form: RosterForm, change: (b: BridgeClient) => Promise<unknown>, done: string, clearForm: boolean): Promise<void> {
    if (!this.bridge) return;
    this.rosterBusy = form;
    this.rosterStatus = '';
    try {
      await change(this.bridge);
      this.rosterError = null;
      this.rosterStatus = done;
      if (clearForm) this.renderRoot.querySelector<AdminRoster>('peerline-admin-roster')?.saved(form);
      await this.loadRoster();
    } catch (e) {
      this.rosterError = { form, error: api.adminErrorOf(e) };
    } finally {
      this.rosterBusy = null;
    }
  }

  private onSaveSupporter(e: SaveSupporterEvent): void {
    const { userId, input } = e.detail;
    void this.rosterChange('supporter', (b) => api.putSupporter(b, userId, input), msg(str`Saved ${userId} as a supporter.`, { id: 'admin.roster.saved-supporter' }), true);
  }

  private onSaveCounsellor(e: SaveCounsellorEvent): void {
    const { userId, team } = e.detail;
    void this.rosterChange('counsellor', (b) => api.putCounsellor(b, userId, team ? { team } : {}), msg(str`Saved ${userId} as a counsellor.`, { id: 'admin.roster.saved-counsellor' }), true);
  }

  private onAddAdmin(e: AddAdminEvent): void {
    const { userId } = e.detail;
    void this.rosterChange('admin', (b) => api.putAdmin(b, userId), msg(str`${userId} is now an admin.`, { id: 'admin.roster.saved-admin' }), true);
  }

  private onRemove(e: RemoveRosterEvent): void {
    const { form, userId } = e.detail;
    const remove = form === 'supporter' ? api.removeSupporter : form === 'counsellor' ? api.removeCounsellor : api.removeAdmin;
    void this.rosterChange(form, (b) => remove(b, userId), msg(str`Removed ${userId}.`, { id: 'admin.roster.removed' }), false);
  }

  private onAuditPage(e: AuditPageEvent): void {
    const entries = this.audit?.entries ?? [];
    if (e.detail.page === 'newest') this.auditBefore = [undefined];
    else if (e.detail.page === 'newer') this.auditBefore = this.auditBefore.length > 1 ? this.auditBefore.slice(0, -1) : [undefined];
    else {
      const last = entries[entries.length - 1];
      if (!last) return;
      this.auditBefore = [...this.auditBefore, last.seq];
    }
    void this.loadAudit();
  }

  private topicLabels(): Record<string, string> {
    return Object.fromEntries((this.policy?.topics ?? []).map((t) => [t.id, t.label]));
  }

  private panel() {
    switch (this.tab) {
      case 'policy':
        return html`<h2>${msg('Policy', { id: 'admin.tab.policy' })}</h2>
          <peerline-admin-policy .policy=${this.policy} .status=${this.policyStatus} .result=${this.reloadResult} .busy=${this.reloadBusy}
            .failure=${this.reloadFailure} @reload-policy=${this.onReload}></peerline-admin-policy>`;
      case 'roster':
        return html`<h2>${msg('Roster', { id: 'admin.tab.roster' })}</h2>
          <peerline-admin-roster .supporters=${this.supporters} .counsellors=${this.counsellors} .admins=${this.admins}
            .topics=${(this.policy?.topics ?? []).map((t) => ({ id: t.id, label: t.label }))}
            .modules=${(this.policy?.supporters.training.modules ?? []).map((m) => ({ id: m.id, label: m.label, min_version: m.min_version }))}
            .error=${this.rosterError} .busy=${this.rosterBusy} .status=${this.rosterStatus}
            @save-supporter=${this.onSaveSupporter} @save-counsellor=${this.onSaveCounsellor} @add-admin=${this.onAddAdmin}
            @remove-roster-entry=${this.onRemove}></peerline-admin-roster>`;
      case 'figures':
        return html`<h2>${msg('Figures', { id: 'admin.tab.figures' })}</h2>
          ${this.figuresProblem ? html`<p class="problem" role="alert">${this.figuresProblem}</p>` : nothing}
          <peerline-admin-figures .report=${this.figures} .topicLabels=${this.topicLabels()}></peerline-admin-figures>`;
      case 'report':
        return html`<h2>${msg('Program report', { id: 'admin.tab.report' })}</h2>
          <peerline-admin-report .report=${this.report} .busy=${this.reportBusy} .status=${this.reportStatus}
            @report-period=${this.onReportPeriod} @report-download=${(e: ReportDownloadEvent) => void this.onReportDownload(e)}></peerline-admin-report>`;
      case 'audit': {
        const entries = this.audit?.entries ?? [];
        const last = entries[entries.length - 1];
        return html`<h2>${msg('Audit log', { id: 'admin.tab.audit' })}</h2>
          ${this.auditProblem ? html`<p class="problem" role="alert">${this.auditProblem}</p>` : nothing}
          <peerline-admin-audit .entries=${entries} .chain=${this.audit?.chain ?? null} .busy=${this.auditBusy}
            .canNewer=${this.auditBefore.length > 1} .canOlder=${last !== undefined && last.seq > 1 && entries.length === AUDIT_PAGE}
            @audit-page=${this.onAuditPage}></peerline-admin-audit>`;
      }
    }
  }

  override render() {
    const heading = html`<h1 tabindex="-1">${msg('Administration', { id: 'app.desk.admin' })}</h1>`;
    if (!this.bridge) return html`${heading}<p class="muted" role="status">${msg('Connecting to the bridge…', { id: 'admin.connecting' })}</p>`;
    if (this.loadProblem) {
      return html`${heading}<p class="problem" role="alert">${this.loadProblem}</p>
        <button type="button" @click=${() => void this.loadAll()}>${msg('Try again', { id: 'admin.retry' })}</button>`;
    }
    const tabs = [
      { id: 'policy', label: msg('Policy', { id: 'admin.tab.policy' }) },
      { id: 'roster', label: msg('Roster', { id: 'admin.tab.roster' }) },
      { id: 'figures', label: msg('Figures', { id: 'admin.tab.figures' }) },
      { id: 'report', label: msg('Program report', { id: 'admin.tab.report' }) },
      { id: 'audit', label: msg('Audit log', { id: 'admin.tab.audit' }) },
    ];
    return html`
      ${heading}
      <p>${msg('Your institution\'s policy, roster, figures and audit log. Admins see metadata and aggregates only, never what anyone wrote.', { id: 'admin.intro' })}</p>
      <section class="overview" aria-labelledby="matching-heading">
        <div class="head">
          <h2 id="matching-heading">${msg('Matching now', { id: 'admin.matching.heading' })}</h2>
          <button type="button" @click=${() => void this.loadMatching()}>${msg('Refresh', { id: 'admin.matching.refresh' })}</button>
        </div>
        <peerline-admin-matching .status=${this.matching} .topicLabels=${this.topicLabels()}></peerline-admin-matching>
      </section>
      <peerline-admin-tabs .tabs=${tabs} .selected=${this.tab} .label=${msg('Administration sections', { id: 'admin.tabs' })} @tab-change=${this.onTab}>
        ${this.panel()}
      </peerline-admin-tabs>`;
  }
}

customElements.define('peerline-admin-view', AdminView);

declare global {
  interface HTMLElementTagNameMap { 'peerline-admin-view': AdminView }
}
