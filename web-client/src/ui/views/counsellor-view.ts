// The counsellor desk (DESIGN.md flow 5): the institution's consented escalations, most severe first
// and then longest waiting, each with the student's consent receipt and its response target. The
// counsellor claims one (the bot invites them; the shell joins and opens the room), hands it over to
// a colleague, or resolves it with an outcome. The queue refreshes while the desk is open and
// changes are announced in a live region.
import { html, css, nothing } from 'lit';
import { msg, str } from '@lit/localize';
import { DeskView } from './desk-view.ts';
import { BridgeError, type BridgeTopic } from '../../bridge/bridge-client.ts';
import {
  claimEscalation, counsellorColleagues, escalationQueue, handOverEscalation, resolveEscalation,
  type Colleague, type QueueItem,
} from '../../bridge/counsellor-api.ts';
import { counsellorBaseStyles } from '../components/counsellor-shared/counsellor.styles.ts';
import { isOverdue, queueChanges, sortQueue } from '../components/counsellor-shared/escalation-facts.ts';
import {
  severityLabel, type EscalationClaimDetail, type EscalationHandoverDetail, type EscalationResolveDetail,
} from '../components/counsellor-escalation/counsellor-escalation.component.ts';
import { outcomeLabel } from '../components/counsellor-resolve-form/counsellor-resolve-form.component.ts';
import '../components/supervision-desk/supervision-desk.component.ts';

/** How often the queue is fetched again while the desk is open. */
const REFRESH_MS = 15_000;

type Problem = 'network' | 'server' | 'claimed' | 'closed' | 'forbidden' | 'not-ready' | 'colleague' | null;

export class CounsellorView extends DeskView {
  static override properties = {
    items: { state: true }, busyId: { state: true }, problem: { state: true },
    status: { state: true }, colleagues: { state: true }, topics: { state: true },
  };
  static override styles = [counsellorBaseStyles, css`
    :host { max-width: 48rem; margin: 0 auto; padding: var(--pl-space-3); }
    h1 { font-size: 1.5rem; margin: 0 0 var(--pl-space-2); }
    h1:focus { outline: none; }
    .bar { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: var(--pl-space-2); margin-bottom: var(--pl-space-2); }
    .bar h2 { margin: 0; }
    ol { list-style: none; margin: 0; padding: 0; display: grid; gap: var(--pl-space-3); }
    .summary { font-weight: 700; }
  `];
  /** null until the first answer. */
  declare items: QueueItem[] | null;
  declare busyId: string | null;
  declare problem: Problem;
  /** What the live region says last. */
  declare status: string;
  declare colleagues: Colleague[] | null;
  declare topics: BridgeTopic[];

  private timer: ReturnType<typeof setInterval> | null = null;
  private loading: AbortController | null = null;
  /** Escalations this desk changed itself, so their leaving the queue is not announced twice. */
  private readonly actedOn = new Set<string>();

  constructor() {
    super();
    this.items = null;
    this.busyId = null;
    this.problem = null;
    this.status = '';
    this.colleagues = null;
    this.topics = [];
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.timer = setInterval(() => { void this.refresh(); }, REFRESH_MS);
    if (this.bridge) void this.start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.loading?.abort();
    this.loading = null;
  }

  protected override updated(changed: Map<string, unknown>): void {
    // The shell hands the bridge over once it is signed in.
    if (changed.has('bridge') && this.bridge && this.isConnected && this.items === null) void this.start();
  }

  private get me(): string {
    return this.store?.matrixSession()?.userId ?? '';
  }

  private async start(): Promise<void> {
    await this.refresh();
    try {
      this.topics = await this.bridge!.topics();
    } catch { /* topic ids stand in for their labels */ }
  }

  private topicLabel(id: string): string {
    return this.topics.find((t) => t.id === id)?.label ?? id;
  }

  private describe(i: QueueItem): string {
    return msg(str`${severityLabel(i.severity)} severity, ${this.topicLabel(i.topic)}`, { id: 'counsellor.describe' });
  }

  /** GET the queue again; announces arrivals and departures after the first load. */
  async refresh(): Promise<void> {
    const bridge = this.bridge;
    if (!bridge || !this.isConnected) return;
    this.loading?.abort();
    const ctl = new AbortController();
    this.loading = ctl;
    try {
      const next = sortQueue(await escalationQueue(bridge, ctl.signal));
      if (ctl.signal.aborted) return;
      const before = this.items;
      this.items = next;
      if (this.problem === 'network' || this.problem === 'server') this.problem = null;
      if (before === null) {
        this.status = this.summary(next);
      } else {
        const { arrived, left } = queueChanges(before, next);
        const said: string[] = [];
        for (const i of arrived) said.push(msg(str`New escalation: ${this.describe(i)}.`, { id: 'counsellor.status.arrived' }));
        for (const i of left) {
          if (this.actedOn.delete(i.escalation_id)) continue;
          said.push(msg(str`Left the queue (claimed by a colleague or withdrawn): ${this.describe(i)}.`, { id: 'counsellor.status.left' }));
        }
        if (said.length > 0) this.status = said.join(' ');
      }
    } catch (e) {
      if (ctl.signal.aborted) return;
      this.problem = e instanceof BridgeError && e.status === 0 ? 'network' : 'server';
    } finally {
      if (this.loading === ctl) this.loading = null;
    }
  }

  private summary(items: readonly QueueItem[]): string {
    const waiting = items.filter((i) => i.status === 'queued').length;
    const overdue = items.filter((i) => i.status === 'queued' && isOverdue(i, 0)).length;
    if (waiting === 0) return msg('No escalations are waiting.', { id: 'counsellor.status.empty' });
    if (waiting === 1) {
      return overdue > 0
        ? msg('1 escalation waiting, past its response target.', { id: 'counsellor.status.one-overdue' })
        : msg('1 escalation waiting.', { id: 'counsellor.status.one' });
    }
    return overdue > 0
      ? msg(str`${waiting} escalations waiting, ${overdue} past their response target.`, { id: 'counsellor.status.summary-overdue' })
      : msg(str`${waiting} escalations waiting.`, { id: 'counsellor.status.summary' });
  }

  private problemOf(e: unknown): Problem {
    if (!(e instanceof BridgeError)) return 'server';
    if (e.status === 0) return 'network';
    if (e.errcode === 'ORG.PEERLINE.ESCALATION_CLAIMED') return 'claimed';
    if (e.errcode === 'ORG.PEERLINE.ESCALATION_NOT_READY') return 'not-ready';
    if (e.status === 409 || e.status === 404) return 'closed';
    if (e.status === 403) return 'forbidden';
    if (e.status === 400) return 'colleague';
    return 'server';
  }

  private async claim(e: CustomEvent<EscalationClaimDetail>): Promise<void> {
    const id = e.detail.escalationId;
    this.busyId = id;
    this.problem = null;
    try {
      const claimed = await claimEscalation(this.bridge!, id);
      this.replace(claimed);
      this.status = msg(str`You claimed: ${this.describe(claimed)}. Opening the room.`, { id: 'counsellor.status.claimed' });
      // The bot has invited this counsellor; the shell joins the room and shows it.
      if (claimed.room_id) this.dispatchEvent(new CustomEvent('open-room', { detail: { roomId: claimed.room_id }, bubbles: true, composed: true }));
    } catch (err) {
      this.problem = this.problemOf(err);
      await this.refresh();
    } finally {
      this.busyId = null;
    }
  }

  private async handover(e: CustomEvent<EscalationHandoverDetail>): Promise<void> {
    const { escalationId: id, to } = e.detail;
    this.busyId = id;
    this.problem = null;
    try {
      const handed = await handOverEscalation(this.bridge!, id, to);
      this.replace(handed);
      this.status = msg(str`Handed over to ${to}: ${this.describe(handed)}.`, { id: 'counsellor.status.handed-over' });
      this.focusQueue();
    } catch (err) {
      this.problem = this.problemOf(err);
    } finally {
      this.busyId = null;
    }
  }

  private async resolve(e: CustomEvent<EscalationResolveDetail>): Promise<void> {
    const { escalationId: id, outcome } = e.detail;
    this.busyId = id;
    this.problem = null;
    try {
      const resolved = await resolveEscalation(this.bridge!, id, outcome);
      this.actedOn.add(id);
      this.items = (this.items ?? []).filter((i) => i.escalation_id !== id);
      this.status = msg(str`Resolved (${outcomeLabel(outcome)}): ${this.describe(resolved)}. It has left the queue.`, { id: 'counsellor.status.resolved' });
      this.focusQueue();
    } catch (err) {
      this.problem = this.problemOf(err);
    } finally {
      this.busyId = null;
    }
  }

  private async loadColleagues(): Promise<void> {
    if (this.colleagues !== null) return;
    try {
      this.colleagues = await counsellorColleagues(this.bridge!);
    } catch (err) {
      this.problem = this.problemOf(err);
      this.colleagues = [];
    }
  }

  private replace(item: QueueItem): void {
    this.items = sortQueue((this.items ?? []).map((i) => (i.escalation_id === item.escalation_id ? item : i)));
  }

  private focusQueue(): void {
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('#queue-heading')?.focus());
  }

  private problemText(): string {
    switch (this.problem) {
      case 'network': return msg('The bridge cannot be reached. The queue may be out of date; it is tried again shortly.', { id: 'counsellor.problem.network' });
      case 'claimed': return msg('A colleague claimed this escalation first.', { id: 'counsellor.problem.claimed' });
      case 'closed': return msg('This escalation has changed meanwhile (resolved, withdrawn or handed over). The queue is up to date again.', { id: 'counsellor.problem.closed' });
      case 'forbidden': return msg('Only the counsellor holding an escalation can do that.', { id: 'counsellor.problem.forbidden' });
      case 'not-ready': return msg('The escalation room is still being created. Try again in a moment.', { id: 'counsellor.problem.not-ready' });
      case 'colleague': return msg('That colleague cannot take escalations. Choose another.', { id: 'counsellor.problem.colleague' });
      case 'server': return msg('Something went wrong at the bridge. Try again.', { id: 'counsellor.problem.server' });
      default: return '';
    }
  }

  private renderQueue(): unknown {
    const items = this.items;
    if (items === null) return html`<p>${msg('Loading the queue …', { id: 'counsellor.loading' })}</p>`;
    if (items.length === 0) return html`<p>${msg('No escalations are waiting. New ones appear here by themselves.', { id: 'counsellor.empty' })}</p>`;
    return html`
      <ol aria-labelledby="queue-heading">
        ${items.map((i) => html`<li>
          <peerline-counsellor-escalation .item=${i} .me=${this.me} .topicLabel=${this.topicLabel(i.topic)}
            .colleagues=${this.colleagues} ?busy=${this.busyId === i.escalation_id} .locale=${this.locale}></peerline-counsellor-escalation>
        </li>`)}
      </ol>
    `;
  }

  override render() {
    const problem = this.problemText();
    return html`
      <h1 tabindex="-1">${msg('Counsellor desk', { id: 'counsellor.heading' })}</h1>
      <p class="muted">${msg('Escalations students have consented to, most severe first, then longest waiting. Claiming one invites you to its encrypted room.', { id: 'counsellor.intro' })}</p>
      <p class="visually-hidden" role="status" aria-live="polite">${this.status}</p>
      ${problem ? html`<p class="problem" role="alert">${problem}</p>` : nothing}
      <div class="bar">
        <h2 id="queue-heading" tabindex="-1">${msg('Queue', { id: 'counsellor.queue' })}</h2>
        <button type="button" @click=${() => { void this.refresh(); }}>${msg('Refresh', { id: 'counsellor.refresh' })}</button>
      </div>
      ${this.items && this.items.length > 0 ? html`<p class="summary">${this.summary(this.items)}</p>` : nothing}
      <div
        @escalation-claim=${(e: CustomEvent<EscalationClaimDetail>) => { void this.claim(e); }}
        @escalation-handover=${(e: CustomEvent<EscalationHandoverDetail>) => { void this.handover(e); }}
        @escalation-resolve=${(e: CustomEvent<EscalationResolveDetail>) => { void this.resolve(e); }}
        @colleagues-needed=${() => { void this.loadColleagues(); }}>
        ${this.renderQueue()}
      </div>
      <peerline-supervision-desk .bridge=${this.bridge} .topics=${this.topics}></peerline-supervision-desk>
    `;
  }
}

customElements.define('peerline-counsellor-view', CounsellorView);

declare global {
  interface HTMLElementTagNameMap { 'peerline-counsellor-view': CounsellorView }
}
