// The roster for admins: supporters (topics, training records, capacity), counsellors and admins,
// each listed in a table with a form to add or update. The bridge checks every entry against the
// policy; its errors come back in through `error` and are shown with the field they concern.
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { live } from 'lit/directives/live.js';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { adminCommonStyles } from '../admin-common/admin-common.styles.ts';
import { rosterStyles } from './admin-roster.styles.ts';
import type { Admin, AdminError, Counsellor, RosterField, Supporter, SupporterInput } from '../../../bridge/admin-api.ts';

export type RosterForm = 'supporter' | 'counsellor' | 'admin';
export interface RosterTopic { id: string; label: string }
export interface RosterModule { id: string; label: string; min_version: number }

export interface SaveSupporterEvent extends CustomEvent<{ userId: string; input: SupporterInput }> { type: 'save-supporter' }
export interface SaveCounsellorEvent extends CustomEvent<{ userId: string; team: string | null }> { type: 'save-counsellor' }
export interface AddAdminEvent extends CustomEvent<{ userId: string }> { type: 'add-admin' }
export interface RemoveRosterEvent extends CustomEvent<{ form: RosterForm; userId: string }> { type: 'remove-roster-entry' }

interface TrainingDraft { on: boolean; version: string; completed: string }
interface SupporterDraft { user: string; topics: string[]; training: Record<string, TrainingDraft>; capacity: string }

const today = (): string => new Date().toISOString().slice(0, 10);

export class AdminRoster extends LitElement {
  static override properties = {
    supporters: { attribute: false }, counsellors: { attribute: false }, admins: { attribute: false },
    topics: { attribute: false }, modules: { attribute: false }, error: { attribute: false }, busy: { attribute: false }, status: {},
    draft: { state: true },
  };
  static override styles = [adminCommonStyles, rosterStyles];
  declare supporters: Supporter[];
  declare counsellors: Counsellor[];
  declare admins: Admin[];
  declare topics: RosterTopic[];
  declare modules: RosterModule[];
  /** The bridge's answer to the last failed save, and which form it belongs to. */
  declare error: { form: RosterForm; error: AdminError } | null;
  /** The form whose save is under way. */
  declare busy: RosterForm | null;
  declare status: string;
  declare draft: SupporterDraft;

  constructor() {
    super();
    this.supporters = [];
    this.counsellors = [];
    this.admins = [];
    this.topics = [];
    this.modules = [];
    this.error = null;
    this.busy = null;
    this.status = '';
    this.draft = this.emptyDraft();
    updateWhenLocaleChanges(this);
  }

  private emptyDraft(): SupporterDraft {
    return { user: '', topics: [], training: {}, capacity: '' };
  }

  /** Called by the view after a save or removal went through: clears the form it came from. */
  saved(form: RosterForm): void {
    if (form === 'supporter') this.draft = this.emptyDraft();
    else this.renderRoot.querySelector<HTMLFormElement>(`form.${form}`)?.reset();
  }

  protected override updated(changed: PropertyValues<this>): void {
    // A new error: take the user to its summary, which lists every problem and the field it is in.
    if (changed.has('error') && this.error) this.renderRoot.querySelector<HTMLElement>(`#${this.error.form}-problems`)?.focus();
  }

  private fieldName(f: RosterField): string {
    switch (f) {
      case 'user': return msg('Matrix user ID', { id: 'admin.roster.user' });
      case 'topics': return msg('Topics', { id: 'admin.policy.topics' });
      case 'training': return msg('Training', { id: 'admin.roster.training' });
      case 'capacity': return msg('Capacity', { id: 'admin.roster.capacity' });
      case 'team': return msg('Team', { id: 'admin.roster.team' });
      default: return msg('Entry', { id: 'admin.roster.entry' });
    }
  }

  private problemsFor(form: RosterForm) {
    const e = this.error?.form === form ? this.error.error : null;
    if (!e) return nothing;
    return html`
      <div class="problem" role="alert" id="${form}-problems" tabindex="-1">
        <p><strong>${msg('The bridge did not accept this entry.', { id: 'admin.roster.rejected' })}</strong> <code>${e.errcode}</code></p>
        <ul>${e.problems.map((p) => html`<li>${this.fieldName(p.field)}: ${p.message}</li>`)}</ul>
      </div>`;
  }

  /** The problem text for one field (shown beside it and linked with aria-describedby), if any. */
  private fieldProblem(form: RosterForm, field: RosterField): string | null {
    const e = this.error?.form === form ? this.error.error : null;
    const ps = e?.problems.filter((p) => p.field === field) ?? [];
    return ps.length > 0 ? ps.map((p) => p.message).join('; ') : null;
  }

  private fieldNote(form: RosterForm, field: Exclude<RosterField, null>) {
    const p = this.fieldProblem(form, field);
    return p ? html`<p class="field-problem" id="${form}-${field}-problem">${p}</p>` : nothing;
  }

  private removeEntry(form: RosterForm, userId: string): void {
    this.dispatchEvent(new CustomEvent('remove-roster-entry', { detail: { form, userId }, bubbles: true, composed: true }));
  }

  private edit(s: Supporter): void {
    this.draft = {
      user: s.user_id, topics: [...s.topics], capacity: s.capacity === null ? '' : String(s.capacity),
      training: Object.fromEntries(s.training.map((t) => [t.module, { on: true, version: String(t.version), completed: t.completed }])),
    };
    this.renderRoot.querySelector<HTMLInputElement>('#supporter-user')?.focus();
  }

  private submitSupporter(e: SubmitEvent): void {
    e.preventDefault();
    const d = this.draft;
    const training = this.modules.filter((m) => d.training[m.id]?.on).map((m) => {
      const t = d.training[m.id]!;
      return { module: m.id, version: Number(t.version || m.min_version), completed: t.completed };
    });
    const input: SupporterInput = { topics: d.topics, training, ...(d.capacity.trim() !== '' ? { capacity: Number(d.capacity) } : {}) };
    this.dispatchEvent(new CustomEvent('save-supporter', { detail: { userId: d.user.trim(), input }, bubbles: true, composed: true }));
  }

  private submitCounsellor(e: SubmitEvent): void {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const team = String(data.get('team') ?? '').trim();
    this.dispatchEvent(new CustomEvent('save-counsellor', { detail: { userId: String(data.get('user') ?? '').trim(), team: team === '' ? null : team }, bubbles: true, composed: true }));
  }

  private submitAdmin(e: SubmitEvent): void {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    this.dispatchEvent(new CustomEvent('add-admin', { detail: { userId: String(data.get('user') ?? '').trim() }, bubbles: true, composed: true }));
  }

  private setTraining(id: string, patch: Partial<TrainingDraft>, minVersion: number): void {
    const cur = this.draft.training[id] ?? { on: false, version: String(minVersion), completed: today() };
    this.draft = { ...this.draft, training: { ...this.draft.training, [id]: { ...cur, ...patch } } };
  }

  private invalid(form: RosterForm, field: RosterField) {
    const p = this.fieldProblem(form, field);
    return { invalid: p ? 'true' : 'false', describedBy: p ? `${form}-${field}-problem` : '' };
  }

  private supporterForm() {
    const d = this.draft;
    const user = this.invalid('supporter', 'user');
    const topicLabel = new Map(this.topics.map((t) => [t.id, t.label]));
    return html`
      ${this.problemsFor('supporter')}
      <form class="supporter" @submit=${this.submitSupporter} aria-label=${msg('Add or update a supporter', { id: 'admin.roster.supporter-form' })}>
        <label class="block">${msg('Matrix user ID', { id: 'admin.roster.user' })}
          <input id="supporter-user" name="user" required autocomplete="off" spellcheck="false" placeholder="@name:server"
            .value=${live(d.user)} @input=${(e: Event) => { this.draft = { ...this.draft, user: (e.target as HTMLInputElement).value }; }}
            aria-invalid=${user.invalid} aria-describedby=${user.describedBy || nothing}>
        </label>
        ${this.fieldNote('supporter', 'user')}
        <fieldset aria-describedby=${this.invalid('supporter', 'topics').describedBy || nothing}>
          <legend>${msg('Topics', { id: 'admin.policy.topics' })}</legend>
          ${this.fieldNote('supporter', 'topics')}
          ${this.topics.map((t) => html`
            <label class="choice"><input type="checkbox" name="topic" value=${t.id} .checked=${live(d.topics.includes(t.id))}
              @change=${(e: Event) => {
                const on = (e.target as HTMLInputElement).checked;
                this.draft = { ...this.draft, topics: on ? [...this.draft.topics, t.id] : this.draft.topics.filter((x) => x !== t.id) };
              }}>${t.label}</label>`)}
        </fieldset>
        <fieldset aria-describedby=${this.invalid('supporter', 'training').describedBy || nothing}>
          <legend>${msg('Training', { id: 'admin.roster.training' })}</legend>
          ${this.fieldNote('supporter', 'training')}
          ${this.modules.map((m) => {
            const t = d.training[m.id] ?? { on: false, version: String(m.min_version), completed: today() };
            return html`
              <fieldset class="module">
                <legend>${m.label}</legend>
                <label class="choice"><input type="checkbox" .checked=${live(t.on)}
                  @change=${(e: Event) => this.setTraining(m.id, { on: (e.target as HTMLInputElement).checked }, m.min_version)}>${msg('Completed', { id: 'admin.roster.completed' })}</label>
                ${t.on ? html`
                  <div class="actions">
                    <label class="block">${msg('Version', { id: 'admin.roster.version' })}
                      <input type="number" min="1" step="1" inputmode="numeric" .value=${live(t.version)}
                        @input=${(e: Event) => this.setTraining(m.id, { version: (e.target as HTMLInputElement).value }, m.min_version)}></label>
                    <label class="block">${msg('Completed on', { id: 'admin.roster.completed-on' })}
                      <input type="date" .value=${live(t.completed)}
                        @input=${(e: Event) => this.setTraining(m.id, { completed: (e.target as HTMLInputElement).value }, m.min_version)}></label>
                  </div>` : nothing}
              </fieldset>`;
          })}
        </fieldset>
        <label class="block">${msg('Capacity (concurrent sessions; empty: the policy default)', { id: 'admin.roster.capacity-label' })}
          <input type="number" name="capacity" min="1" step="1" inputmode="numeric" .value=${live(d.capacity)}
            @input=${(e: Event) => { this.draft = { ...this.draft, capacity: (e.target as HTMLInputElement).value }; }}
            aria-invalid=${this.invalid('supporter', 'capacity').invalid} aria-describedby=${this.invalid('supporter', 'capacity').describedBy || nothing}>
        </label>
        ${this.fieldNote('supporter', 'capacity')}
        <div class="actions">
          <button class="primary" type="submit" ?disabled=${this.busy === 'supporter'}>${msg('Save supporter', { id: 'admin.roster.save-supporter' })}</button>
          ${d.user !== '' || d.topics.length > 0 ? html`<button type="button" @click=${() => { this.draft = this.emptyDraft(); }}>${msg('Clear form', { id: 'admin.roster.clear' })}</button>` : nothing}
        </div>
      </form>
      <div class="table-wrap">
        <table>
          <caption>${msg(str`Supporters (${this.supporters.length})`, { id: 'admin.roster.supporters-caption' })}</caption>
          <thead><tr>
            <th scope="col">${msg('User', { id: 'admin.roster.user-col' })}</th>
            <th scope="col">${msg('Topics', { id: 'admin.policy.topics' })}</th>
            <th scope="col">${msg('Training', { id: 'admin.roster.training' })}</th>
            <th scope="col">${msg('Capacity', { id: 'admin.roster.capacity' })}</th>
            <th scope="col">${msg('Actions', { id: 'admin.roster.actions' })}</th>
          </tr></thead>
          <tbody>
            ${this.supporters.length === 0 ? html`<tr><td colspan="5">${msg('No supporters yet.', { id: 'admin.roster.no-supporters' })}</td></tr>` : nothing}
            ${this.supporters.map((s) => html`<tr>
              <th scope="row"><code>${s.user_id}</code>${s.active ? nothing : html` (${msg('inactive', { id: 'admin.roster.inactive' })})`}</th>
              <td><ul class="plain">${s.topics.map((t) => html`<li>${topicLabel.get(t) ?? t}${s.qualified_topics.includes(t) ? nothing : html` — ${msg('not trained for it yet', { id: 'admin.roster.not-qualified' })}`}</li>`)}</ul></td>
              <td><ul class="plain">${s.training.map((t) => html`<li>${this.modules.find((m) => m.id === t.module)?.label ?? t.module} v${t.version}, ${t.completed}${t.expires ? ` – ${t.expires}` : ''}</li>`)}</ul>
                ${s.missing_training.length > 0 ? html`<p>${msg(str`Missing: ${s.missing_training.join(', ')}`, { id: 'admin.roster.missing' })}</p>` : nothing}</td>
              <td class="num">${s.effective_capacity}</td>
              <td><div class="actions">
                <button type="button" @click=${() => this.edit(s)} aria-label=${msg(str`Edit ${s.user_id}`, { id: 'admin.roster.edit-label' })}>${msg('Edit', { id: 'admin.roster.edit' })}</button>
                <button type="button" @click=${() => this.removeEntry('supporter', s.user_id)} aria-label=${msg(str`Remove ${s.user_id} from the supporters`, { id: 'admin.roster.remove-supporter-label' })}>${msg('Remove', { id: 'admin.roster.remove' })}</button>
              </div></td>
            </tr>`)}
          </tbody>
        </table>
      </div>`;
  }

  private counsellorSection() {
    const user = this.invalid('counsellor', 'user');
    return html`
      ${this.problemsFor('counsellor')}
      <form class="counsellor" @submit=${this.submitCounsellor} aria-label=${msg('Add or update a counsellor', { id: 'admin.roster.counsellor-form' })}>
        <label class="block">${msg('Matrix user ID', { id: 'admin.roster.user' })}
          <input name="user" required autocomplete="off" spellcheck="false" placeholder="@name:server" aria-invalid=${user.invalid} aria-describedby=${user.describedBy || nothing}></label>
        ${this.fieldNote('counsellor', 'user')}
        <label class="block">${msg('Team (empty: the policy\'s escalation team)', { id: 'admin.roster.team-label' })}
          <input name="team" autocomplete="off" spellcheck="false"></label>
        ${this.fieldNote('counsellor', 'team')}
        <div class="actions"><button class="primary" type="submit" ?disabled=${this.busy === 'counsellor'}>${msg('Save counsellor', { id: 'admin.roster.save-counsellor' })}</button></div>
      </form>
      <div class="table-wrap">
        <table>
          <caption>${msg(str`Counsellors (${this.counsellors.length})`, { id: 'admin.roster.counsellors-caption' })}</caption>
          <thead><tr><th scope="col">${msg('User', { id: 'admin.roster.user-col' })}</th><th scope="col">${msg('Team', { id: 'admin.roster.team' })}</th><th scope="col">${msg('On duty now', { id: 'admin.roster.on-duty' })}</th><th scope="col">${msg('Actions', { id: 'admin.roster.actions' })}</th></tr></thead>
          <tbody>
            ${this.counsellors.length === 0 ? html`<tr><td colspan="4">${msg('No counsellors yet.', { id: 'admin.roster.no-counsellors' })}</td></tr>` : nothing}
            ${this.counsellors.map((c) => html`<tr>
              <th scope="row"><code>${c.user_id}</code>${c.active ? nothing : html` (${msg('inactive', { id: 'admin.roster.inactive' })})`}</th>
              <td>${c.team}</td>
              <td>${c.on_duty_now ? msg('yes', { id: 'admin.yes' }) : msg('no', { id: 'admin.no' })}</td>
              <td><button type="button" @click=${() => this.removeEntry('counsellor', c.user_id)} aria-label=${msg(str`Remove ${c.user_id} from the counsellors`, { id: 'admin.roster.remove-counsellor-label' })}>${msg('Remove', { id: 'admin.roster.remove' })}</button></td>
            </tr>`)}
          </tbody>
        </table>
      </div>`;
  }

  private adminSection() {
    const user = this.invalid('admin', 'user');
    return html`
      ${this.problemsFor('admin')}
      <form class="admin" @submit=${this.submitAdmin} aria-label=${msg('Add an admin', { id: 'admin.roster.admin-form' })}>
        <label class="block">${msg('Matrix user ID', { id: 'admin.roster.user' })}
          <input name="user" required autocomplete="off" spellcheck="false" placeholder="@name:server" aria-invalid=${user.invalid} aria-describedby=${user.describedBy || nothing}></label>
        ${this.fieldNote('admin', 'user')}
        <div class="actions"><button class="primary" type="submit" ?disabled=${this.busy === 'admin'}>${msg('Add admin', { id: 'admin.roster.add-admin' })}</button></div>
      </form>
      <div class="table-wrap">
        <table>
          <caption>${msg(str`Admins (${this.admins.length})`, { id: 'admin.roster.admins-caption' })}</caption>
          <thead><tr><th scope="col">${msg('User', { id: 'admin.roster.user-col' })}</th><th scope="col">${msg('Added by', { id: 'admin.roster.added-by' })}</th><th scope="col">${msg('Actions', { id: 'admin.roster.actions' })}</th></tr></thead>
          <tbody>
            ${this.admins.map((a) => html`<tr>
              <th scope="row"><code>${a.user_id}</code></th>
              <td>${a.bootstrap ? msg('the bridge configuration', { id: 'admin.roster.bootstrap' }) : a.added_by}</td>
              <td>${a.bootstrap ? html`<span class="muted">${msg('set in the configuration', { id: 'admin.roster.fixed' })}</span>`
                : html`<button type="button" @click=${() => this.removeEntry('admin', a.user_id)} aria-label=${msg(str`Remove ${a.user_id} from the admins`, { id: 'admin.roster.remove-admin-label' })}>${msg('Remove', { id: 'admin.roster.remove' })}</button>`}</td>
            </tr>`)}
          </tbody>
        </table>
      </div>`;
  }

  override render() {
    return html`
      <p class="status" role="status">${this.status}</p>
      <section aria-labelledby="supporters-heading">
        <h3 id="supporters-heading">${msg('Supporters', { id: 'admin.roster.supporters' })}</h3>
        ${this.supporterForm()}
      </section>
      <section aria-labelledby="counsellors-heading">
        <h3 id="counsellors-heading">${msg('Counsellors', { id: 'admin.roster.counsellors' })}</h3>
        ${this.counsellorSection()}
      </section>
      <section aria-labelledby="admins-heading">
        <h3 id="admins-heading">${msg('Admins', { id: 'admin.roster.admins' })}</h3>
        ${this.adminSection()}
      </section>`;
  }
}

customElements.define('peerline-admin-roster', AdminRoster);

declare global {
  interface HTMLElementTagNameMap { 'peerline-admin-roster': AdminRoster }
}
