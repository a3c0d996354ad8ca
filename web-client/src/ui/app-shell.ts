// The root element: the bar with the crisis button (in every view), the live region for new messages
// and status, and whichever view the state calls for. Moves focus to a view's heading when it changes.
import { LitElement, html, css, type PropertyValues } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { AppStore, StoreController, type AppSnapshot, type Phase } from '../state/app-store.ts';
import { currentResources, refreshResources, type CrisisResource } from '../state/crisis-resources.ts';
import { loadConfig, type RuntimeConfig } from '../platform/config.ts';
import { takeLoginToken } from '../matrix/sso.ts';
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
import type { BridgeClient } from '../bridge/bridge-client.ts';
import { notifyNewMessages } from '../platform/notifications.ts';

/** The app's sections; which ones a person sees follows their roles at the bridge. */
export type Desk = 'conversations' | 'support' | 'supporter' | 'counsellor' | 'admin' | 'account';

/** Each section's view, loaded on first use so the first screen stays small. */
const DESK_VIEWS: Record<Exclude<Desk, 'conversations'>, () => Promise<unknown>> = {
  support: () => import('./views/ask-for-support-view.ts'),
  supporter: () => import('./views/supporter-view.ts'),
  counsellor: () => import('./views/counsellor-view.ts'),
  admin: () => import('./views/admin-view.ts'),
  account: () => import('./views/account-view.ts'),
};

/** A desk view: the element each section renders; it takes focus on its heading when opened. */
interface DeskElement extends HTMLElement { updateComplete: Promise<boolean>; focusHeading(): void }
import type { RetryEvent } from './components/message-timeline/message-timeline.component.ts';

export class PeerlineApp extends LitElement {
  static override properties = {
    resources: { state: true }, locale: { state: true }, desk: { state: true }, bridgeUrl: { state: true }, bridge: { state: true }, roles: { state: true },
  };
  static override styles = css`
    :host { display: grid; grid-template-rows: auto 1fr; height: 100dvh; }
    header { display: flex; align-items: center; justify-content: space-between; gap: var(--pl-space-2); flex-wrap: wrap; padding: var(--pl-space-2) var(--pl-space-3); background: var(--pl-surface); border-bottom: 1px solid var(--pl-border); }
    .brand { font-weight: 800; font-size: 1.125rem; }
    .tools { display: flex; align-items: center; gap: var(--pl-space-3); flex-wrap: wrap; }
    label { font-size: 0.875rem; }
    select { font: inherit; color: var(--pl-text); background: var(--pl-bg); border: 2px solid var(--pl-border-strong); border-radius: var(--pl-radius); padding: var(--pl-space-1); min-height: 2.75rem; margin-left: var(--pl-space-1); }
    select:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
    main { min-height: 0; overflow: auto; }
    nav.desks { flex-basis: 100%; }
    nav.desks ul { display: flex; flex-wrap: wrap; gap: var(--pl-space-1); list-style: none; margin: 0; padding: 0; }
    nav.desks button { font: inherit; cursor: pointer; color: var(--pl-text); background: var(--pl-surface); border: 2px solid var(--pl-border-strong); border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-3); min-height: 2.75rem; }
    nav.desks button[aria-current='page'] { background: var(--pl-text); color: var(--pl-bg); border-color: var(--pl-text); font-weight: 700; }
    nav.desks button:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
    .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  `;
  declare resources: CrisisResource[];
  declare locale: Locale;
  /** The section on screen (views other than conversations load lazily). */
  declare desk: Desk;
  declare bridgeUrl: string | null;
  /** The bridge client, once the signed-in user has a session at their institution's bridge. */
  declare bridge: BridgeClient | null;
  /** The user's roles at the bridge (student, supporter, counsellor, admin); empty until known. */
  declare roles: string[];
  private connecting: Promise<void> | null = null;

  private readonly store: AppStore;
  private readonly state: StoreController;
  private readonly config: Promise<RuntimeConfig>;
  private lastPhase: Phase | null = null;
  /** Messages that arrived while the app was out of view (for the content-free system notification). */
  private unseen = 0;
  private lastAnnouncement = 0;
  private readonly onVisibility = (): void => { if (document.visibilityState === 'visible') this.unseen = 0; };
  private lastRoom: string | null = null;

  constructor() {
    super();
    this.config = loadConfig();
    this.store = new AppStore(localStorage, async () => (await this.config).homeserverUrl);
    this.state = new StoreController(this, this.store);
    this.resources = currentResources(localStorage);
    this.locale = preferredLocale(location.search, navigator.languages);
    updateWhenLocaleChanges(this);
    this.desk = 'conversations';
    this.bridgeUrl = null;
    this.bridge = null;
    this.roles = [];
    this.addEventListener('support-matched', (e) => { this.desk = 'conversations'; void this.store.joinAndOpen((e as CustomEvent<{ roomId: string }>).detail.roomId); });
    this.addEventListener('support-closed', () => { this.desk = 'conversations'; });
    // Any view may open a room (a matched session, a group, an escalation): join it and show it.
    this.addEventListener('open-room', (e) => { this.desk = 'conversations'; void this.store.joinAndOpen((e as CustomEvent<{ roomId: string }>).detail.roomId); });
    this.addEventListener('open-desk', (e) => { void this.openDesk((e as CustomEvent<{ desk: Desk }>).detail.desk); });
    this.addEventListener('sign-in', (e) => { const { username, password } = (e as SignInEvent).detail; void this.store.signIn(username, password); });
    this.addEventListener('sign-out', () => { void this.store.signOut(); });
    this.addEventListener('register', (e) => { void this.store.register((e as RegisterEvent).detail); });
    this.addEventListener('recovery-key-saved', () => this.store.dismissRecoveryKey());
    this.addEventListener('restore-keys', (e) => { void this.store.restoreKeys((e as RestoreKeysEvent).detail.recoveryKey); });
    this.addEventListener('restore-skipped', () => this.store.skipRestore());
    this.addEventListener('room-selected', (e) => this.store.selectRoom((e as RoomSelectedEvent).detail.roomId));
    this.addEventListener('send', (e) => { void this.store.send((e as SendEvent).detail.body); });
    this.addEventListener('retry', (e) => { void this.store.retry((e as RetryEvent).detail.id); });
    this.addEventListener('report-message', (e) => { void this.openReport((e as CustomEvent<{ roomId: string; eventId: string; body: string | null }>).detail); });
  }

  /** "Report" on a group message: the report dialog (lazy), which sends only what the reporter chooses. */
  private async openReport(d: { roomId: string; eventId: string; body: string | null }): Promise<void> {
    if (!this.bridge) return;
    await import('./components/report-dialog/report-dialog.component.ts');
    let dialog = this.renderRoot.querySelector('peerline-report-dialog');
    if (!dialog) {
      dialog = document.createElement('peerline-report-dialog');
      this.renderRoot.appendChild(dialog);
    }
    Object.assign(dialog, { bridge: this.bridge, roomId: d.roomId, eventId: d.eventId, body: d.body ?? '' });
    await dialog.updateComplete;
    await dialog.show();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('visibilitychange', this.onVisibility);
    // Back from single sign-on with ?loginToken=: take it out of the address bar and sign in with it.
    const loginToken = takeLoginToken(location, history);
    void (loginToken !== null ? this.store.signInWithLoginToken(loginToken) : this.store.resume());
    void this.config.then(async (c) => {
      this.bridgeUrl = c.bridgeUrl;
      this.resources = await refreshResources(localStorage, c.bridgeUrl, { region: c.region, language: this.locale });
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('visibilitychange', this.onVisibility);
  }

  private async openDesk(desk: Desk): Promise<void> {
    if (desk !== 'conversations') await DESK_VIEWS[desk]();
    this.desk = desk;
    await this.updateComplete;
    const el = this.renderRoot.querySelector<DeskElement>('main > *');
    void el?.updateComplete.then(() => el.focusHeading());
  }

  /** Signs in to the bridge (OpenID) once the Matrix client is ready, to learn the user's roles. */
  private connectBridge(): void {
    if (this.connecting || !this.bridgeUrl) return;
    const session = this.store.matrixSession();
    if (!session) return;
    const url = this.bridgeUrl;
    this.connecting = (async () => {
      try {
        const { BridgeClient } = await import('../bridge/bridge-client.ts');
        const client = new BridgeClient(url, session);
        this.roles = await client.signedInRoles();
        this.bridge = client;
      } catch {
        this.connecting = null; // offline or the bridge is down: tried again at the next change
      }
    })();
  }

  private deskLabel(desk: Desk): string {
    switch (desk) {
      case 'conversations': return msg('Conversations', { id: 'app.desk.conversations' });
      case 'support': return msg('Ask for support', { id: 'app.ask-for-support' });
      case 'supporter': return msg('Supporter desk', { id: 'app.desk.supporter' });
      case 'counsellor': return msg('Counsellor desk', { id: 'app.desk.counsellor' });
      case 'admin': return msg('Administration', { id: 'app.desk.admin' });
      case 'account': return msg('Account', { id: 'app.desk.account' });
    }
  }

  /** The sections this person may open, in the order they appear. */
  private desks(): Desk[] {
    const r = this.roles;
    const out: Desk[] = ['conversations'];
    if (r.includes('student')) out.push('support');
    if (r.includes('supporter')) out.push('supporter');
    if (r.includes('counsellor')) out.push('counsellor');
    if (r.includes('admin')) out.push('admin');
    out.push('account');
    return out;
  }

  private renderDesk(s: AppSnapshot) {
    const common = { bridge: this.bridge, store: this.store, roles: this.roles, locale: this.locale };
    switch (this.desk) {
      case 'support':
        return html`<peerline-ask-for-support-view .session=${this.store.matrixSession()} .bridge=${common.bridge} .bridgeUrl=${this.bridgeUrl} .resources=${this.resources} .store=${this.store}></peerline-ask-for-support-view>`;
      case 'supporter': return html`<peerline-supporter-view .bridge=${common.bridge} .store=${common.store} .roles=${common.roles} .locale=${common.locale}></peerline-supporter-view>`;
      case 'counsellor': return html`<peerline-counsellor-view .bridge=${common.bridge} .store=${common.store} .roles=${common.roles} .locale=${common.locale}></peerline-counsellor-view>`;
      case 'admin': return html`<peerline-admin-view .bridge=${common.bridge} .store=${common.store} .roles=${common.roles} .locale=${common.locale}></peerline-admin-view>`;
      case 'account': return html`<peerline-account-view .bridge=${common.bridge} .store=${common.store} .roles=${common.roles} .locale=${common.locale}></peerline-account-view>`;
      default: return html`<peerline-conversations-view .state=${s} .locale=${this.locale} .store=${this.store} .canEscalate=${this.roles.includes('student') && this.bridge !== null}></peerline-conversations-view>`;
    }
  }

  private async changeLocale(e: Event): Promise<void> {
    const next = (e.target as HTMLSelectElement).value as Locale;
    await setLocale(next);
    this.locale = next;
    document.documentElement.lang = next;
  }

  protected override updated(_changed: PropertyValues<this>): void {
    const s = this.state.value;
    if (s.announcement && s.announcement.seq !== this.lastAnnouncement) {
      this.lastAnnouncement = s.announcement.seq;
      if (document.visibilityState !== 'visible' || !document.hasFocus()) { this.unseen += 1; void notifyNewMessages(this.unseen); }
    }
    if (s.phase === 'ready') this.connectBridge();
    else if (s.phase === 'signed-out' && (this.bridge || this.connecting)) { this.bridge = null; this.roles = []; this.connecting = null; this.desk = 'conversations'; }
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
    const sender = a.sender || msg('Someone', { id: 'app.someone' });
    return a.body === null
      ? msg(str`New encrypted message from ${sender} in ${a.roomName}`, { id: 'app.new-message-locked' })
      : msg(str`New message from ${sender} in ${a.roomName}: ${a.body}`, { id: 'app.new-message' });
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
          ${s.phase === 'ready' ? html`<peerline-device-list .load=${() => this.store.devices()} .logOutOthers=${(pw: string) => this.store.logOutOtherDevices(pw)}></peerline-device-list>` : ''}
          <peerline-crisis-button .resources=${this.resources}></peerline-crisis-button>
        </div>
        ${s.phase === 'ready' ? html`
          <nav class="desks" aria-label=${msg('Sections', { id: 'app.sections' })}>
            <ul>${this.desks().map((d) => html`<li><button type="button" aria-current=${this.desk === d ? 'page' : 'false'} @click=${() => { void this.openDesk(d); }}>${this.deskLabel(d)}</button></li>`)}</ul>
          </nav>` : ''}
      </header>
      <div class="visually-hidden" role="log" aria-live="polite" aria-atomic="false" id="announcements">${this.announcement()}</div>
      <main>
        ${s.phase === 'signed-out' || s.phase === 'signing-in'
          ? html`<peerline-sign-in-view ?busy=${s.phase === 'signing-in'} .problem=${s.signInProblem} .registerProblem=${s.registerProblem}></peerline-sign-in-view>`
          : s.phase === 'ready' ? this.renderDesk(s) : html`<peerline-conversations-view .state=${s} .locale=${this.locale} .store=${this.store}></peerline-conversations-view>`}
      </main>
      <peerline-recovery-key-dialog .recoveryKey=${s.recoveryKey}></peerline-recovery-key-dialog>
      <peerline-restore-dialog .state=${s.restore}></peerline-restore-dialog>
      ${s.phase === 'ready' && this.roles.includes('student') ? loadEscalationHost(html`<peerline-escalation-host .store=${this.store} .bridge=${this.bridge} .roles=${this.roles} .resources=${this.resources}></peerline-escalation-host>`) : ''}`;
  }
}

/** The student's escalation UI (consent dialog, on-device risk detector) loads lazily, like the desks. */
function loadEscalationHost<T>(template: T): T {
  void import('./components/escalation-host/escalation-host.component.ts').catch(() => { /* offline on a cold cache: next render */ });
  return template;
}

customElements.define('peerline-app', PeerlineApp);

declare global {
  interface HTMLElementTagNameMap { 'peerline-app': PeerlineApp }
}
