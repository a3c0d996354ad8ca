// The root element: the bar with the crisis button (in every view), the live region for new messages
// and status, and whichever view the state calls for. Moves focus to a view's heading when it changes.
import { LitElement, html, css, type PropertyValues } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { AppStore, StoreController, type Phase } from '../state/app-store.ts';
import { currentResources, refreshResources, type CrisisResource } from '../state/crisis-resources.ts';
import { loadConfig, type RuntimeConfig } from '../platform/config.ts';
import { preferredLocale, setLocale, type Locale } from './localization.ts';
import './components/crisis-button/crisis-button.component.ts';
import './views/sign-in-view.ts';
import './views/conversations-view.ts';
import './components/key-backup-dialogs/recovery-key-dialog.component.ts';
import './components/key-backup-dialogs/restore-dialog.component.ts';
import './components/device-list/device-list.component.ts';
import type { RegisterEvent } from './components/register-form/register-form.component.ts';
import type { RestoreKeysEvent } from './components/key-backup-dialogs/restore-dialog.component.ts';
import type { SignInEvent } from './components/sign-in-form/sign-in-form.component.ts';
import type { RoomSelectedEvent } from './components/room-list/room-list.component.ts';
import type { SendEvent } from './components/message-composer/message-composer.component.ts';
import type { RetryEvent } from './components/message-timeline/message-timeline.component.ts';

export class PeerlineApp extends LitElement {
  static override properties = { resources: { state: true }, locale: { state: true }, asking: { state: true }, bridgeUrl: { state: true } };
  static override styles = css`
    :host { display: grid; grid-template-rows: auto 1fr; height: 100dvh; }
    header { display: flex; align-items: center; justify-content: space-between; gap: var(--pl-space-2); flex-wrap: wrap; padding: var(--pl-space-2) var(--pl-space-3); background: var(--pl-surface); border-bottom: 1px solid var(--pl-border); }
    .brand { font-weight: 800; font-size: 1.125rem; }
    .tools { display: flex; align-items: center; gap: var(--pl-space-3); flex-wrap: wrap; }
    label { font-size: 0.875rem; }
    select { font: inherit; color: var(--pl-text); background: var(--pl-bg); border: 2px solid var(--pl-border-strong); border-radius: var(--pl-radius); padding: var(--pl-space-1); min-height: 2.75rem; margin-left: var(--pl-space-1); }
    select:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
    main { min-height: 0; overflow: auto; }
    .ask { font: inherit; cursor: pointer; color: var(--pl-text); background: var(--pl-surface); border: 2px solid var(--pl-border-strong); border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-3); min-height: 2.75rem; }
    .ask:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
    .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  `;
  declare resources: CrisisResource[];
  declare locale: Locale;
  /** The student's ask-for-support view is open (loaded lazily with the bridge client). */
  declare asking: boolean;
  declare bridgeUrl: string | null;

  private readonly store: AppStore;
  private readonly state: StoreController;
  private readonly config: Promise<RuntimeConfig>;
  private lastPhase: Phase | null = null;
  private lastRoom: string | null = null;

  constructor() {
    super();
    this.config = loadConfig();
    this.store = new AppStore(localStorage, async () => (await this.config).homeserverUrl);
    this.state = new StoreController(this, this.store);
    this.resources = currentResources(localStorage);
    this.locale = preferredLocale(location.search, navigator.languages);
    updateWhenLocaleChanges(this);
    this.asking = false;
    this.bridgeUrl = null;
    this.addEventListener('support-matched', (e) => { this.asking = false; void this.store.joinAndOpen((e as CustomEvent<{ roomId: string }>).detail.roomId); });
    this.addEventListener('support-closed', () => { this.asking = false; });
    this.addEventListener('sign-in', (e) => { const { username, password } = (e as SignInEvent).detail; void this.store.signIn(username, password); });
    this.addEventListener('sign-out', () => { void this.store.signOut(); });
    this.addEventListener('register', (e) => { void this.store.register((e as RegisterEvent).detail); });
    this.addEventListener('recovery-key-saved', () => this.store.dismissRecoveryKey());
    this.addEventListener('restore-keys', (e) => { void this.store.restoreKeys((e as RestoreKeysEvent).detail.recoveryKey); });
    this.addEventListener('restore-skipped', () => this.store.skipRestore());
    this.addEventListener('room-selected', (e) => this.store.selectRoom((e as RoomSelectedEvent).detail.roomId));
    this.addEventListener('send', (e) => { void this.store.send((e as SendEvent).detail.body); });
    this.addEventListener('retry', (e) => { void this.store.retry((e as RetryEvent).detail.id); });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.store.resume();
    void this.config.then(async (c) => {
      this.bridgeUrl = c.bridgeUrl;
      this.resources = await refreshResources(localStorage, c.bridgeUrl, { region: c.region, language: this.locale });
    });
  }

  private async openSupport(): Promise<void> {
    await import('./views/ask-for-support-view.ts');
    this.asking = true;
    await this.updateComplete;
    const el = this.renderRoot.querySelector('peerline-ask-for-support-view');
    void el?.updateComplete.then(() => el.focusHeading());
  }

  private async changeLocale(e: Event): Promise<void> {
    const next = (e.target as HTMLSelectElement).value as Locale;
    await setLocale(next);
    this.locale = next;
    document.documentElement.lang = next;
  }

  protected override updated(_changed: PropertyValues<this>): void {
    const s = this.state.value;
    const view = s.phase === 'signed-out' || s.phase === 'signing-in' ? 'sign-in' : 'conversations';
    const lastView = this.lastPhase === null ? null : this.lastPhase === 'signed-out' || this.lastPhase === 'signing-in' ? 'sign-in' : 'conversations';
    // Focus moves only on a change of view or room, never on first load (the browser's start is fine).
    if (lastView !== null && view !== lastView) {
      void this.updateComplete.then(() => {
        const el = this.renderRoot.querySelector(view === 'sign-in' ? 'peerline-sign-in-view' : 'peerline-conversations-view');
        void el?.updateComplete.then(() => el.focusHeading());
      });
    } else if (view === 'conversations' && s.selectedRoomId !== this.lastRoom && s.selectedRoomId !== null) {
      const el = this.renderRoot.querySelector('peerline-conversations-view');
      void el?.updateComplete.then(() => el.focusRoomHeading());
    }
    this.lastPhase = s.phase;
    this.lastRoom = s.selectedRoomId;
  }

  private announcement(): string {
    const a = this.state.value.announcement;
    if (!a) return '';
    return a.body === null
      ? msg(str`New encrypted message from ${a.sender} in ${a.roomName}`, { id: 'app.new-message-locked' })
      : msg(str`New message from ${a.sender} in ${a.roomName}: ${a.body}`, { id: 'app.new-message' });
  }

  override render() {
    const s = this.state.value;
    return html`
      <header>
        <span class="brand">${msg('Peerline', { id: 'app.title' })}</span>
        <div class="tools">
          <label>${msg('Language', { id: 'app.language' })}
            <select @change=${this.changeLocale}>
              <option value="en" ?selected=${this.locale === 'en'} lang="en">English</option>
              <option value="de" ?selected=${this.locale === 'de'} lang="de">Deutsch</option>
            </select>
          </label>
          ${s.phase === 'ready' && this.bridgeUrl && !this.asking ? html`<button class="ask" type="button" @click=${() => { void this.openSupport(); }}>${msg('Ask for support', { id: 'app.ask-for-support' })}</button>` : ''}
          ${s.phase === 'ready' ? html`<peerline-device-list .load=${() => this.store.devices()} .logOutOthers=${(pw: string) => this.store.logOutOtherDevices(pw)}></peerline-device-list>` : ''}
          <peerline-crisis-button .resources=${this.resources}></peerline-crisis-button>
        </div>
      </header>
      <div class="visually-hidden" role="log" aria-live="polite" aria-atomic="false" id="announcements">${this.announcement()}</div>
      <main>
        ${s.phase === 'signed-out' || s.phase === 'signing-in'
          ? html`<peerline-sign-in-view ?busy=${s.phase === 'signing-in'} .problem=${s.signInProblem} .registerProblem=${s.registerProblem}></peerline-sign-in-view>`
          : s.phase === 'ready' && this.asking
            ? html`<peerline-ask-for-support-view .session=${this.store.matrixSession()} .bridgeUrl=${this.bridgeUrl} .resources=${this.resources}></peerline-ask-for-support-view>`
            : html`<peerline-conversations-view .state=${s} .locale=${this.locale}></peerline-conversations-view>`}
      </main>
      <peerline-recovery-key-dialog .recoveryKey=${s.recoveryKey}></peerline-recovery-key-dialog>
      <peerline-restore-dialog .state=${s.restore}></peerline-restore-dialog>`;
  }
}

customElements.define('peerline-app', PeerlineApp);

declare global {
  interface HTMLElementTagNameMap { 'peerline-app': PeerlineApp }
}
