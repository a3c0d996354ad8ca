// The institution policy in force, summarised, with its load status; when a newer file was rejected,
// every problem the bridge found (file, path, what was expected and found). "Reload policy" asks the
// bridge to re-read the file now (it also watches it); the view passes the outcome back in.
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { adminCommonStyles } from '../admin-common/admin-common.styles.ts';
import type { InstitutionPolicy, PolicyStatus, ReloadResult } from '../../../bridge/admin-api.ts';

export interface ReloadPolicyEvent extends CustomEvent<Record<string, never>> { type: 'reload-policy' }

const when = (ts: number): string => new Date(ts).toLocaleString();

export class AdminPolicy extends LitElement {
  static override properties = {
    policy: { attribute: false }, status: { attribute: false }, result: { attribute: false }, busy: { type: Boolean }, failure: { attribute: false },
  };
  static override styles = adminCommonStyles;
  declare policy: InstitutionPolicy | null;
  declare status: PolicyStatus | null;
  /** The outcome of the last reload this admin asked for. */
  declare result: ReloadResult | null;
  declare busy: boolean;
  /** A reload that failed to reach the bridge or was refused (errcode and message). */
  declare failure: string | null;

  constructor() {
    super();
    this.policy = null;
    this.status = null;
    this.result = null;
    this.busy = false;
    this.failure = null;
    updateWhenLocaleChanges(this);
  }

  private reload(): void {
    this.dispatchEvent(new CustomEvent('reload-policy', { detail: {}, bubbles: true, composed: true }));
  }

  private resultText(): string {
    switch (this.result) {
      case 'applied': return msg('The new policy is now in force.', { id: 'admin.policy.applied' });
      case 'unchanged': return msg('The policy file has not changed since it was last read.', { id: 'admin.policy.unchanged' });
      case 'rejected': return msg('The policy file has errors; the previous policy stays in force.', { id: 'admin.policy.rejected' });
      default: return '';
    }
  }

  private rejected() {
    const s = this.status;
    if (!s?.last_rejected) return nothing;
    const r = s.last_rejected;
    return html`
      <div class="problem" role="alert">
        <h3>${msg('A newer policy file was rejected', { id: 'admin.policy.rejected-heading' })}</h3>
        <p>${msg(str`Checked ${when(r.ts)}. Fix these problems in ${s.file}, then reload; until then the previous policy stays in force.`, { id: 'admin.policy.rejected-intro' })}</p>
        <ul>
          ${r.problems.map((p) => html`<li><code>${s.file}</code> ${msg('at', { id: 'admin.policy.at' })} <code>${p.path}</code>: ${p.message}</li>`)}
        </ul>
      </div>`;
  }

  override render() {
    const p = this.policy;
    const s = this.status;
    if (!p || !s) return html`<p class="muted">${msg('Loading the policy…', { id: 'admin.policy.loading' })}</p>`;
    const yes = msg('yes', { id: 'admin.yes' });
    const no = msg('no', { id: 'admin.no' });
    const modules = new Map(p.supporters.training.modules.map((m) => [m.id, m.label]));
    return html`
      ${this.rejected()}
      <h3>${msg('Status', { id: 'admin.policy.status' })}</h3>
      <dl>
        <dt>${msg('File', { id: 'admin.policy.file' })}</dt><dd><code>${s.file}</code></dd>
        <dt>${msg('Version since start', { id: 'admin.policy.version' })}</dt><dd>${s.version}</dd>
        <dt>${msg('Loaded', { id: 'admin.policy.loaded' })}</dt><dd>${when(s.loaded_ts)}</dd>
        <dt>${msg('Fingerprint (SHA-256)', { id: 'admin.policy.sha' })}</dt><dd><code>${s.sha256.slice(0, 16)}…</code></dd>
      </dl>
      <div class="actions">
        <button type="button" class="primary" ?disabled=${this.busy} @click=${this.reload}>${msg('Reload policy', { id: 'admin.policy.reload' })}</button>
      </div>
      <p class="status" role="status">${this.busy ? msg('Reloading…', { id: 'admin.policy.reloading' }) : this.resultText()}</p>
      ${this.failure ? html`<p class="problem" role="alert">${this.failure}</p>` : nothing}

      <h3>${msg('Summary', { id: 'admin.policy.summary' })}</h3>
      <dl>
        <dt>${msg('Institution', { id: 'admin.policy.institution' })}</dt><dd>${p.institution.name} (<code>${p.institution.server_name}</code>)</dd>
        <dt>${msg('Partners', { id: 'admin.policy.partners' })}</dt>
        <dd>${p.partners.length === 0 ? msg('none', { id: 'admin.none' }) : p.partners.map((x) => `${x.name} (${x.server_name})`).join(', ')}</dd>
        <dt>${msg('Matching with partners', { id: 'admin.policy.cross' })}</dt><dd>${p.matching.cross_institution && !p.age_rules.minors ? yes : no}</dd>
        <dt>${msg('Students may be minors', { id: 'admin.policy.minors' })}</dt><dd>${p.age_rules.minors ? yes : no}</dd>
        <dt>${msg('Support hours time zone', { id: 'admin.policy.time-zone' })}</dt><dd>${p.support_hours.time_zone}</dd>
        <dt>${msg('Supporter capacity', { id: 'admin.policy.capacity' })}</dt>
        <dd>${msg(str`${p.supporters.capacity.default} sessions by default, at most ${p.supporters.capacity.max}`, { id: 'admin.policy.capacity-value' })}</dd>
        <dt>${msg('Required training', { id: 'admin.policy.required' })}</dt>
        <dd>${p.supporters.training.required.map((id) => modules.get(id) ?? id).join(', ') || msg('none', { id: 'admin.none' })}</dd>
        <dt>${msg('Rooms kept for', { id: 'admin.policy.retention' })}</dt>
        <dd>${msg(str`peer ${p.retention_days.peer} days, groups ${p.retention_days.group} days, escalations ${p.retention_days.escalation} days`, { id: 'admin.policy.retention-value' })}</dd>
        <dt>${msg('Crisis resources', { id: 'admin.policy.crisis' })}</dt><dd>${p.crisis_resources.map((c) => c.name).join(', ')}</dd>
      </dl>
      <div class="table-wrap">
        <table>
          <caption>${msg('Topics', { id: 'admin.policy.topics' })}</caption>
          <thead><tr><th scope="col">${msg('Topic', { id: 'admin.figures.topic' })}</th><th scope="col">${msg('Id', { id: 'admin.policy.id' })}</th><th scope="col">${msg('Training needed', { id: 'admin.policy.needs-training' })}</th></tr></thead>
          <tbody>${p.topics.map((t) => html`<tr><th scope="row">${t.label}</th><td><code>${t.id}</code></td><td>${t.needs_training.map((id) => modules.get(id) ?? id).join(', ') || msg('none', { id: 'admin.none' })}</td></tr>`)}</tbody>
        </table>
      </div>
      <div class="table-wrap">
        <table>
          <caption>${msg('Training modules', { id: 'admin.policy.modules' })}</caption>
          <thead><tr><th scope="col">${msg('Module', { id: 'admin.policy.module' })}</th><th scope="col" class="num">${msg('Minimum version', { id: 'admin.policy.min-version' })}</th><th scope="col" class="num">${msg('Valid for (days)', { id: 'admin.policy.valid-days' })}</th></tr></thead>
          <tbody>${p.supporters.training.modules.map((m) => html`<tr><th scope="row">${m.label}</th><td class="num">${m.min_version}</td><td class="num">${m.valid_days}</td></tr>`)}</tbody>
        </table>
      </div>`;
  }
}

customElements.define('peerline-admin-policy', AdminPolicy);

declare global {
  interface HTMLElementTagNameMap { 'peerline-admin-policy': AdminPolicy }
}
