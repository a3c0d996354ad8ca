// The student's escalation UI, rendered once by the app shell: it runs the EscalationController on
// the store's room events and shows what it decides — the consent dialog (crisis resources first),
// a gentle crisis note when the on-device detector notices something below the policy's level, and
// the status of an escalation in progress, from which the student can withdraw while no counsellor
// has joined (after a confirm step). Handles `escalation-requested` ({ roomId }) from anywhere in the
// page ("Talk to a counsellor"). Only a yes in the dialog sends anything; nothing is logged.
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { EscalationController, type EscalationPhase, type EscalationStore } from '../../../state/escalation-controller.ts';
import type { BridgeRequester } from '../../../bridge/escalation-api.ts';
import type { CrisisResource } from '../../../state/crisis-resources.ts';
import { roomKind } from '../../../matrix/room-kind.ts';
import { joinedMembers } from '../../../matrix/joined-members.ts';
import type { PendingShareStore } from '../../../state/pending-shares.ts';
import type { ConsentKeyStore } from '../../../safety/consent.ts';
import '../consent-dialog/consent-dialog.component.ts';
import type { ConsentDialog, ConsentGivenEvent, ShareableMessage } from '../consent-dialog/consent-dialog.component.ts';
import { escalationHostStyles } from './escalation-host.styles.ts';

export type EscalationRequestedEvent = CustomEvent<{ roomId: string }>;

export class EscalationHost extends LitElement {
  static override properties = {
    store: { attribute: false },
    bridge: { attribute: false },
    roles: { attribute: false },
    resources: { attribute: false },
    keyStore: { attribute: false },
    pendingShares: { attribute: false },
    tick: { state: true },
    confirmingWithdraw: { state: true },
  };
  static override styles = escalationHostStyles;
  declare store: EscalationStore | null;
  declare bridge: BridgeRequester | null;
  declare roles: string[];
  declare resources: CrisisResource[];
  /** Tests may keep the consent key elsewhere; IndexedDB otherwise. */
  declare keyStore: ConsentKeyStore | null;
  /** Tests may keep pending content elsewhere; IndexedDB otherwise. */
  declare pendingShares: PendingShareStore | null;
  declare tick: number;
  declare confirmingWithdraw: boolean;
  /** What to focus after the next render (a selector in the shadow root). */
  private focusNext: string | null = null;
  private controller: EscalationController | null = null;
  private controllerStore: EscalationStore | null = null;
  private shownPrompt: unknown = null;
  private readonly onChange = (): void => { this.tick++; };
  private readonly onRequested = (e: Event): void => {
    const roomId = (e as EscalationRequestedEvent).detail?.roomId;
    if (typeof roomId === 'string' && this.isStudent()) this.controller?.request(roomId);
  };

  constructor() {
    super();
    this.store = null;
    this.bridge = null;
    this.roles = [];
    this.resources = [];
    this.keyStore = null;
    this.pendingShares = null;
    this.tick = 0;
    this.confirmingWithdraw = false;
    updateWhenLocaleChanges(this);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('escalation-requested', this.onRequested);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('escalation-requested', this.onRequested);
    this.dropController();
  }

  private isStudent(): boolean { return this.roles.includes('student'); }

  private dropController(): void {
    this.controller?.removeEventListener('change', this.onChange);
    this.controller?.stop();
    this.controller = null;
    this.controllerStore = null;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // Only a student's client acts on suggestions and runs the detector.
    const store = this.isStudent() ? this.store : null;
    if (store !== this.controllerStore) {
      this.dropController();
      if (store) {
        const keyStore = this.keyStore;
        const pendingShares = this.pendingShares;
        this.controller = new EscalationController({
          store,
          openRoom: (roomId) => this.dispatchEvent(new CustomEvent('open-room', { detail: { roomId }, bubbles: true, composed: true })),
          roomKind: async (roomId) => { const s = store.matrixSession(); return s ? roomKind(s, roomId) : null; },
          joinedMembers: async (roomId) => { const s = store.matrixSession(); return s ? joinedMembers(s, roomId) : null; },
          ...(keyStore ? { keyStore: () => keyStore } : {}),
          ...(pendingShares ? { pendingShares: () => pendingShares } : {}),
        });
        this.controllerStore = store;
        this.controller.addEventListener('change', this.onChange);
        this.controller.start();
      }
    }
    if (this.controller && (changed.has('bridge') || this.controller.bridge !== this.bridge)) this.controller.bridge = this.bridge;
  }

  protected override updated(): void {
    const phase = this.controller?.phase;
    const dialog = this.renderRoot.querySelector<ConsentDialog>('peerline-consent-dialog');
    if (phase?.kind === 'asking' && dialog && this.shownPrompt !== phase.prompt) {
      this.shownPrompt = phase.prompt;
      if (!dialog.isOpen) void dialog.show();
    } else if (phase?.kind !== 'asking') {
      this.shownPrompt = null;
    }
    if (phase?.kind !== 'waiting' && this.confirmingWithdraw) this.confirmingWithdraw = false;
    if (this.focusNext) {
      const target = this.renderRoot.querySelector<HTMLElement>(this.focusNext);
      if (target) { this.focusNext = null; target.focus(); }
    }
  }

  private askWithdraw(): void {
    this.confirmingWithdraw = true;
    this.focusNext = '[data-keep-waiting]';
  }

  private keepWaiting(): void {
    this.confirmingWithdraw = false;
    this.focusNext = '[data-withdraw]';
  }

  private async confirmWithdraw(): Promise<void> {
    await this.controller?.withdraw();
    const k = this.controller?.phase.kind;
    if (k === 'waiting') this.focusNext = '[data-withdraw-yes]';
    else this.focusNext = '[data-status-ok]';
    this.tick++;
  }

  private renderWaiting(phase: Extract<EscalationPhase, { kind: 'waiting' }>) {
    const working = phase.withdrawal === 'working';
    return html`<div class="panel">
      <p>${msg('A counsellor from your school has been asked to join a new private chat with you.', { id: 'escalation.status.waiting' })}
        ${phase.share === 'nothing' ? nothing : msg('What you chose to share is sent when they join.', { id: 'escalation.status.waiting-share' })}</p>
      ${this.confirmingWithdraw
        ? html`<p id="withdraw-question"><strong>${msg('Withdraw your consent?', { id: 'escalation.withdraw.question' })}</strong>
            ${msg('No counsellor will be brought in, and nothing you chose will be sent. It is deleted from this device.', { id: 'escalation.withdraw.explain' })}</p>
          <div class="actions" role="group" aria-labelledby="withdraw-question">
            <button type="button" data-keep-waiting ?disabled=${working} @click=${() => this.keepWaiting()}>${msg('Keep waiting', { id: 'escalation.withdraw.keep' })}</button>
            <button type="button" class="danger" data-withdraw-yes ?disabled=${working} @click=${() => { void this.confirmWithdraw(); }}>${working
              ? msg('Withdrawing …', { id: 'escalation.withdraw.working' })
              : msg('Yes, withdraw', { id: 'escalation.withdraw.yes' })}</button>
          </div>`
        : html`<div class="actions">
            <button type="button" data-withdraw @click=${() => this.askWithdraw()}>${msg('Withdraw — nothing has been shared yet', { id: 'escalation.withdraw' })}</button>
            <button type="button" data-status-ok @click=${() => this.controller?.closeStatus()}>${msg('OK', { id: 'escalation.ok' })}</button>
          </div>`}
    </div>`;
  }

  private shareable(): ShareableMessage[] {
    const p = this.controller?.phase;
    if (!p || (p.kind !== 'asking' && p.kind !== 'sending' && p.kind !== 'failed')) return [];
    return p.prompt.messages.map((m) => ({ eventId: m.eventId, sender: m.mine ? msg('You', { id: 'escalation.you' }) : m.sender, body: m.body }));
  }

  private renderStatus(phase: EscalationPhase) {
    switch (phase.kind) {
      case 'sending':
        return html`<div class="panel"><p>${msg('Asking a counsellor from your school to join…', { id: 'escalation.status.sending' })}</p></div>`;
      case 'waiting':
        return this.renderWaiting(phase);
      case 'shared':
        return this.renderDone(phase.share === 'nothing'
          ? msg('A counsellor has joined your private chat.', { id: 'escalation.status.joined' })
          : msg('A counsellor has joined, and what you chose was shared with them.', { id: 'escalation.status.shared' }));
      case 'withdrawn':
        return this.renderDone(msg('You withdrew your consent. Nothing was shared, and no counsellor will join.', { id: 'escalation.status.withdrawn' }));
      case 'too-late':
        return this.renderDone(phase.sent
          ? msg('A counsellor had already joined and what you chose was shared, so your consent could not be withdrawn. You can leave the chat at any time.', { id: 'escalation.status.too-late-shared' })
          : msg('A counsellor joined just before you withdrew, so the chat stays open. Nothing you chose was sent. You can leave the chat at any time.', { id: 'escalation.status.too-late' }));
      default:
        return nothing;
    }
  }

  private renderDone(text: string) {
    return html`<div class="panel">
      <p>${text}</p>
      <div class="actions"><button type="button" data-status-ok @click=${() => this.controller?.closeStatus()}>${msg('OK', { id: 'escalation.ok' })}</button></div>
    </div>`;
  }

  private renderProblem(phase: EscalationPhase) {
    if (phase.kind === 'waiting' && phase.withdrawal === 'failed') {
      return html`<div class="panel problem"><p>${msg('Your consent could not be withdrawn (no connection). Nothing has been shared yet. Please try again.', { id: 'escalation.withdraw.failed' })}</p></div>`;
    }
    if (phase.kind !== 'failed') return nothing;
    const text = phase.problem === 'refused'
      ? msg('The counsellor could not be contacted. Please try again.', { id: 'escalation.problem.refused' })
      : msg('No connection right now, so no counsellor was contacted. Please try again. If you are in danger, use the crisis services.', { id: 'escalation.problem.network' });
    return html`<div class="panel problem">
      <p>${text}</p>
      <div class="actions">
        <button type="button" @click=${() => this.controller?.decline()}>${msg('Close', { id: 'escalation.close' })}</button>
        <button type="button" class="primary" @click=${() => this.controller?.retry()}>${msg('Try again', { id: 'escalation.retry' })}</button>
      </div>
    </div>`;
  }

  private renderNotice() {
    const notice = this.controller?.gentleNotice;
    if (!notice) return nothing;
    return html`<section class="panel notice" aria-labelledby="notice-title">
      <h2 id="notice-title">${msg('Help is here if you need it', { id: 'escalation.notice.title' })}</h2>
      <ul>
        ${this.resources.map((r) => html`<li>
          <span class="name">${r.name}</span>
          ${r.phone ? html`<a href="tel:${r.phone.replace(/\s+/g, '')}">${msg(str`Call ${r.phone}`, { id: 'crisis.call' })}</a>` : nothing}
          ${r.url && !r.phone ? html`<a href=${r.url} target="_blank" rel="noopener noreferrer">${msg('Website', { id: 'crisis.website' })}<span class="visually-hidden"> ${r.name}</span></a>` : nothing}
        </li>`)}
      </ul>
      <div class="actions">
        <button type="button" @click=${() => this.controller?.dismissNotice()}>${msg('Not now', { id: 'escalation.notice.dismiss' })}</button>
        <button type="button" class="primary" @click=${() => this.controller?.acceptNotice()}>${msg('Talk to a counsellor', { id: 'escalation.notice.talk' })}</button>
      </div>
    </section>`;
  }

  override render() {
    const phase: EscalationPhase = this.controller?.phase ?? { kind: 'idle' };
    const prompt = phase.kind === 'asking' || phase.kind === 'sending' || phase.kind === 'failed' ? phase.prompt : null;
    return html`
      <peerline-consent-dialog
        .resources=${this.resources} .messages=${this.shareable()} .reason=${prompt?.trigger ?? 'student'} .note=${prompt?.note ?? null}
        @consent-given=${(e: ConsentGivenEvent) => { e.stopPropagation(); void this.controller?.consent(e.detail.choice); }}
        @consent-declined=${(e: Event) => { e.stopPropagation(); if (this.controller?.phase.kind === 'asking') this.controller.decline(); }}></peerline-consent-dialog>
      <div class="stack">
        <div role="status">${this.renderStatus(phase)}${this.renderNotice()}</div>
        <div role="alert">${this.renderProblem(phase)}</div>
      </div>`;
  }
}

customElements.define('peerline-escalation-host', EscalationHost);

declare global {
  interface HTMLElementTagNameMap { 'peerline-escalation-host': EscalationHost }
}
