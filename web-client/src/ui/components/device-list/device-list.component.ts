// "Your devices": a button opening a dialog that lists the account's devices (this one first) and
// logs out all the others after the person confirms with their password.
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import type { DeviceInfo } from '../../../matrix/devices.ts';
import { deviceListStyles } from './device-list.styles.ts';

export type DeviceProblem = 'password' | 'network' | 'server';

export class DeviceList extends LitElement {
  static override properties = {
    load: { attribute: false }, logOutOthers: { attribute: false },
    devices: { state: true }, busy: { state: true }, problem: { state: true }, status: { state: true },
  };
  static override styles = deviceListStyles;
  /** Supplied by the shell from the app store. */
  declare load: () => Promise<DeviceInfo[]>;
  declare logOutOthers: (password: string) => Promise<number>;
  declare devices: DeviceInfo[] | null;
  declare busy: boolean;
  declare problem: DeviceProblem | null;
  declare status: string;

  constructor() {
    super();
    this.load = async () => [];
    this.logOutOthers = async () => 0;
    this.devices = null;
    this.busy = false;
    this.problem = null;
    this.status = '';
    updateWhenLocaleChanges(this);
  }

  private async open(): Promise<void> {
    this.problem = null;
    this.status = '';
    this.renderRoot.querySelector('dialog')?.showModal();
    await this.refresh();
  }

  private async refresh(): Promise<void> {
    try {
      this.devices = await this.load();
    } catch (e) {
      this.problem = (e as { problem?: DeviceProblem }).problem ?? 'server';
    }
  }

  private async submit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const password = String(new FormData(form).get('password') ?? '');
    if (!password) return;
    this.busy = true;
    this.problem = null;
    try {
      const n = await this.logOutOthers(password);
      form.reset();
      this.status = msg(str`Logged out ${n} other devices.`, { id: 'devices.done' });
      await this.refresh();
    } catch (err) {
      this.problem = (err as { problem?: DeviceProblem }).problem ?? 'server';
    } finally {
      this.busy = false;
    }
  }

  private problemText(): string {
    switch (this.problem) {
      case 'password': return msg('The password is not right.', { id: 'devices.error.password' });
      case 'network': return msg('The server cannot be reached. Check your connection.', { id: 'signin.error.network' });
      default: return msg('That did not work. Please try again.', { id: 'devices.error.server' });
    }
  }

  private device(d: DeviceInfo) {
    return html`<li>
      <span class=${d.current ? 'this' : ''}>${d.displayName ?? d.deviceId}${d.current ? html` — ${msg('this device', { id: 'devices.this' })}` : nothing}</span>
      <div class="meta">${d.deviceId}${d.lastSeen ? html` · ${msg(str`last active ${new Date(d.lastSeen).toLocaleString()}`, { id: 'devices.last-seen' })}` : nothing}</div>
    </li>`;
  }

  override render() {
    const others = (this.devices ?? []).filter((d) => !d.current).length;
    return html`
      <button type="button" @click=${this.open}>${msg('Your devices', { id: 'devices.open' })}</button>
      <dialog aria-labelledby="dv-title" @close=${() => { this.devices = null; }}>
        <h2 id="dv-title">${msg('Your devices', { id: 'devices.open' })}</h2>
        ${this.devices === null
          ? html`<p class="status" role="status">${msg('Loading …', { id: 'devices.loading' })}</p>`
          : html`<ul aria-label=${msg('Signed-in devices', { id: 'devices.list' })}>${this.devices.map((d) => this.device(d))}</ul>`}
        <p class="status" role="status">${this.status}</p>
        ${others > 0 ? html`
          <form @submit=${this.submit}>
            <label for="dv-password">${msg('Your password, to confirm', { id: 'devices.password' })}</label>
            <input id="dv-password" name="password" type="password" autocomplete="current-password" required ?disabled=${this.busy}>
            <p class="problem" role="alert">${this.problem ? this.problemText() : nothing}</p>
            <div class="actions"><button type="submit" class="primary" ?disabled=${this.busy}>${msg('Log out other devices', { id: 'devices.log-out-others' })}</button></div>
          </form>` : html`<p class="problem" role="alert">${this.problem ? this.problemText() : nothing}</p>`}
        <div class="actions"><button type="button" @click=${() => this.renderRoot.querySelector('dialog')?.close()}>${msg('Close', { id: 'crisis.close' })}</button></div>
      </dialog>`;
  }
}

customElements.define('peerline-device-list', DeviceList);

declare global {
  interface HTMLElementTagNameMap { 'peerline-device-list': DeviceList }
}
