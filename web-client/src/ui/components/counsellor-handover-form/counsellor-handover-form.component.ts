// Handing an escalation over: the counsellor picks a colleague (active counsellors of the
// institution, on duty first) and confirms. Emits `handover-submit` {to} or `form-cancel`.
import { LitElement, html } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import type { Colleague } from '../../../bridge/counsellor-api.ts';
import { counsellorBaseStyles } from '../counsellor-shared/counsellor.styles.ts';

export interface HandoverSubmitDetail { to: string }

export class CounsellorHandoverForm extends LitElement {
  static override properties = { colleagues: { attribute: false }, busy: { type: Boolean } };
  static override styles = counsellorBaseStyles;
  /** null while the list is loading. */
  declare colleagues: Colleague[] | null;
  declare busy: boolean;

  constructor() {
    super();
    this.colleagues = null;
    this.busy = false;
    updateWhenLocaleChanges(this);
  }

  override focus(): void {
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('select, button')?.focus());
  }

  private submit(e: SubmitEvent): void {
    e.preventDefault();
    const to = new FormData(e.target as HTMLFormElement).get('to');
    if (typeof to !== 'string' || to === '') return;
    this.dispatchEvent(new CustomEvent<HandoverSubmitDetail>('handover-submit', { detail: { to }, bubbles: true, composed: true }));
  }

  private cancel(): void {
    this.dispatchEvent(new CustomEvent('form-cancel', { bubbles: true, composed: true }));
  }

  override render() {
    const list = this.colleagues;
    const cancel = html`<button type="button" @click=${this.cancel}>${msg('Cancel', { id: 'counsellor.form.cancel' })}</button>`;
    if (list === null) return html`<p role="status">${msg('Loading colleagues …', { id: 'counsellor.handover.loading' })}</p><div class="actions">${cancel}</div>`;
    if (list.length === 0) {
      return html`<p>${msg('No other counsellor is on the roster to hand over to.', { id: 'counsellor.handover.none' })}</p><div class="actions">${cancel}</div>`;
    }
    return html`
      <form @submit=${this.submit}>
        <label class="block">${msg('Colleague', { id: 'counsellor.handover.colleague' })}
          <select name="to" required ?disabled=${this.busy}>
            ${list.map((c) => html`<option value=${c.user_id}>${c.on_duty_now
              ? msg(str`${c.user_id} (on duty)`, { id: 'counsellor.handover.on-duty' })
              : msg(str`${c.user_id} (not on duty)`, { id: 'counsellor.handover.off-duty' })}</option>`)}
          </select>
        </label>
        <p class="hint">${msg('They are invited to the room and the escalation becomes theirs.', { id: 'counsellor.handover.hint' })}</p>
        <div class="actions">
          <button type="submit" class="primary" ?disabled=${this.busy}>${msg('Hand over', { id: 'counsellor.handover.submit' })}</button>
          ${cancel}
        </div>
      </form>
    `;
  }
}

customElements.define('peerline-counsellor-handover-form', CounsellorHandoverForm);

declare global {
  interface HTMLElementTagNameMap { 'peerline-counsellor-handover-form': CounsellorHandoverForm }
}
