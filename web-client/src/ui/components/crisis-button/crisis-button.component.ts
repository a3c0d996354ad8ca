// The crisis-resources button shown in every view. Everything it shows is already on the device, so
// it opens instantly and works without the network.
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import type { CrisisResource } from '../../../state/crisis-resources.ts';
import { crisisButtonStyles } from './crisis-button.styles.ts';

export class CrisisButton extends LitElement {
  static override properties = { resources: { attribute: false } };
  static override styles = crisisButtonStyles;
  declare resources: CrisisResource[];

  constructor() {
    super();
    this.resources = [];
    updateWhenLocaleChanges(this);
  }

  private get dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('dialog');
  }

  open(): void {
    this.dialog?.showModal();
  }

  override render() {
    return html`
      <button class="open" type="button" aria-haspopup="dialog" @click=${() => this.open()}>${msg('Get help now', { id: 'crisis.button' })}</button>
      <dialog aria-labelledby="crisis-title">
        <h2 id="crisis-title">${msg('Help in a crisis', { id: 'crisis.title' })}</h2>
        <p>${msg('If you are in danger or cannot go on, contact one of these services now. They are free and confidential.', { id: 'crisis.intro' })}</p>
        <ul>
          ${this.resources.map((r) => html`
            <li>
              <h3>${r.name}</h3>
              ${r.description ? html`<p>${r.description}</p>` : nothing}
              ${r.phone ? html`<a href="tel:${r.phone.replace(/\s+/g, '')}">${msg(str`Call ${r.phone}`, { id: 'crisis.call' })}</a>` : nothing}
              ${r.sms ? html`<a href="sms:${r.sms.replace(/\s+/g, '')}">${msg(str`Text ${r.sms}`, { id: 'crisis.text' })}</a>` : nothing}
              ${r.url ? html`<a href=${r.url} target="_blank" rel="noopener noreferrer">${msg('Website', { id: 'crisis.website' })}<span class="visually-hidden"> ${r.name}</span></a>` : nothing}
              ${r.hours ? html`<p class="hours">${msg(str`Open: ${r.hours}`, { id: 'crisis.hours' })}</p>` : nothing}
            </li>`)}
        </ul>
        <form method="dialog"><button class="close" type="submit">${msg('Close', { id: 'crisis.close' })}</button></form>
      </dialog>`;
  }
}

customElements.define('peerline-crisis-button', CrisisButton);

declare global {
  interface HTMLElementTagNameMap { 'peerline-crisis-button': CrisisButton }
}
