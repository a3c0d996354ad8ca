// Training in the supporter desk: the policy's modules with the supporter's standing (valid, expiring,
// expired, missing, outdated) and the topics each unlocks; taking a module in the app — its sections
// one at a time (focus moves to each), scenarios whose choices show their feedback, then the check,
// graded by the bridge and announced. A pass fires `training-completed` so the desk reloads what
// the roster now allows.
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { BridgeError, type BridgeClient } from '../../../bridge/bridge-client.ts';
import {
  getTrainingModule, listTraining, submitTrainingAttempt, TRAINING_VERSION_STALE,
  type TrainingAttemptResult, type TrainingContent, type TrainingScenarioSection, type TrainingSummary,
} from '../../../bridge/training-api.ts';
import { topicLabel } from '../supporter-shared/supporter.styles.ts';
import { supporterTrainingStyles } from './supporter-training.styles.ts';

export interface TrainingCompletedDetail { module: string }

type Step = { kind: 'section'; index: number } | { kind: 'check' } | { kind: 'result' };

export class SupporterTraining extends LitElement {
  static override properties = {
    bridge: { attribute: false }, topics: { attribute: false },
    modules: { state: true }, content: { state: true }, step: { state: true }, picked: { state: true },
    result: { state: true }, busy: { state: true }, problem: { state: true }, announcement: { state: true },
  };
  static override styles = supporterTrainingStyles;
  declare bridge: BridgeClient | null;
  /** The policy's topics, for their labels. */
  declare topics: { id: string; label: string }[];
  declare modules: TrainingSummary[] | null;
  /** The module being taken, or null in the list. */
  declare content: TrainingContent | null;
  declare step: Step;
  /** The choice taken in each scenario (section index → choice index). */
  declare picked: Map<number, number>;
  declare result: TrainingAttemptResult | null;
  declare busy: boolean;
  declare problem: string;
  /** For the polite live region: results and other changes said once. */
  declare announcement: string;

  private loadedFor: BridgeClient | null = null;
  /** Focus goes to the step's heading after it renders (a new section, the check, the result, back to the list). */
  private focusPending: string | null = null;

  constructor() {
    super();
    this.bridge = null;
    this.topics = [];
    this.modules = null;
    this.content = null;
    this.step = { kind: 'section', index: 0 };
    this.picked = new Map();
    this.result = null;
    this.busy = false;
    this.problem = '';
    this.announcement = '';
    updateWhenLocaleChanges(this);
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('bridge') && this.bridge && this.loadedFor !== this.bridge) {
      this.loadedFor = this.bridge;
      void this.reload();
    }
    if (this.focusPending) {
      const el = this.renderRoot.querySelector<HTMLElement>(this.focusPending);
      this.focusPending = null;
      el?.focus();
    }
  }

  /** Loads the list again (after a pass, or when the desk asks). */
  async reload(): Promise<void> {
    const b = this.bridge;
    if (!b) return;
    try {
      this.modules = await listTraining(b);
    } catch (e) {
      this.problem = this.errorText(e);
    }
  }

  /** Opens a module: taught in the app, it starts; otherwise its card is shown and focused. */
  async start(moduleId: string): Promise<void> {
    const b = this.bridge;
    if (!b) return;
    const summary = this.modules?.find((m) => m.id === moduleId);
    this.problem = '';
    if (summary && !summary.in_app) {
      this.content = null;
      this.focusPending = `#card-${CSS.escape(moduleId)}`;
      this.requestUpdate();
      return;
    }
    this.busy = true;
    try {
      this.content = await getTrainingModule(b, moduleId);
      this.step = { kind: 'section', index: 0 };
      this.picked = new Map();
      this.result = null;
      this.focusPending = '#step-heading';
    } catch (e) {
      this.problem = this.errorText(e);
    } finally {
      this.busy = false;
    }
  }

  private errorText(e: unknown): string {
    if (e instanceof BridgeError && e.status === 0) return msg('No connection to the support service. Please try again.', { id: 'supporter.problem.network' });
    return msg('Something went wrong. Please try again.', { id: 'supporter.problem.server' });
  }

  private go(step: Step): void {
    this.step = step;
    this.problem = '';
    this.focusPending = '#step-heading';
  }

  private leave(): void {
    const id = this.content?.id;
    this.content = null;
    this.result = null;
    this.problem = '';
    this.focusPending = id ? `#start-${CSS.escape(id)}` : '#training-heading';
  }

  private pick(section: number, choice: number): void {
    this.picked = new Map(this.picked).set(section, choice);
  }

  private answers(form: HTMLFormElement, c: TrainingContent): number[][] {
    return c.check.questions.map((_q, i) => [...form.querySelectorAll<HTMLInputElement>(`input[name="q${i}"]`)].filter((x) => x.checked).map((x) => Number(x.value)));
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const b = this.bridge;
    const c = this.content;
    if (!b || !c) return;
    const form = e.target as HTMLFormElement;
    const answers = this.answers(form, c);
    const missing = answers.findIndex((a) => a.length === 0);
    if (missing >= 0) {
      this.problem = msg(str`Please answer question ${missing + 1}.`, { id: 'supporter.training.answer-missing' });
      form.querySelector<HTMLInputElement>(`input[name="q${missing}"]`)?.focus();
      return;
    }
    this.busy = true;
    this.problem = '';
    try {
      const r = await submitTrainingAttempt(b, c.id, { version: c.version, answers });
      this.result = r;
      this.modules = (this.modules ?? []).map((m) => (m.id === r.module ? r.training : m));
      this.announcement = r.passed
        ? msg(str`Passed: ${r.score} of ${r.total} correct. Recorded; valid until ${r.training.expires ?? ''}.`, { id: 'supporter.training.passed' })
        : msg(str`Not passed: ${r.score} of ${r.total} correct; ${r.pass_mark} needed.`, { id: 'supporter.training.failed' });
      this.go({ kind: 'result' });
      if (r.passed) this.dispatchEvent(new CustomEvent<TrainingCompletedDetail>('training-completed', { detail: { module: r.module }, bubbles: true, composed: true }));
    } catch (err) {
      if (err instanceof BridgeError && err.errcode === TRAINING_VERSION_STALE) {
        // The institution published a new version meanwhile: start it again from the top.
        await this.start(c.id);
        this.problem = msg('This module was updated while you were taking it. Please go through the new version.', { id: 'supporter.training.stale' });
      } else {
        this.problem = this.errorText(err);
      }
    } finally {
      this.busy = false;
    }
  }

  // ── rendering ──

  private statusLine(m: TrainingSummary) {
    switch (m.status) {
      case 'valid': return msg(str`Valid until ${m.expires ?? ''}.`, { id: 'supporter.training.status-valid' });
      case 'expiring': return msg(str`Expires soon, on ${m.expires ?? ''}. Retake it to keep taking requests.`, { id: 'supporter.training.status-expiring' });
      case 'expired': return msg(str`Expired on ${m.expires ?? ''}.`, { id: 'supporter.training.status-expired' });
      case 'outdated': return msg(str`Version ${m.completed_version ?? ''} no longer counts; version ${m.min_version} or later is needed.`, { id: 'supporter.training.status-outdated' });
      default: return msg('Not completed yet.', { id: 'supporter.training.status-missing' });
    }
  }

  private unlocks(m: TrainingSummary): string {
    if (m.required) return msg('Needed for every topic.', { id: 'supporter.training.unlocks-all' });
    if (m.topics.length === 0) return msg('Not needed for a topic right now.', { id: 'supporter.training.unlocks-none' });
    return msg(str`Needed for: ${m.topics.map((t) => topicLabel(this.topics, t)).join(', ')}.`, { id: 'supporter.training.unlocks' });
  }

  private card(m: TrainingSummary) {
    const counts = m.status === 'valid' || m.status === 'expiring';
    return html`<li>
      <h3 id=${`card-${m.id}`} tabindex="-1">${m.label}</h3>
      <p class=${counts && m.status === 'valid' ? 'status-line' : 'status-line warning'}>${this.statusLine(m)}</p>
      <p class="meta">${this.unlocks(m)}${m.estimated_minutes !== null ? html` ${msg(str`About ${m.estimated_minutes} minutes.`, { id: 'supporter.training.minutes' })}` : nothing}</p>
      ${m.summary ? html`<p>${m.summary}</p>` : nothing}
      ${m.newer_version && counts ? html`<p class="hint">${msg(str`Version ${m.version ?? ''} is available; yours still counts until it expires.`, { id: 'supporter.training.newer' })}</p>` : nothing}
      ${m.in_app
        ? html`<button id=${`start-${m.id}`} class=${counts && m.status === 'valid' ? '' : 'primary'} ?disabled=${this.busy} @click=${() => { void this.start(m.id); }}
            aria-label=${m.status === 'missing'
              ? msg(str`Start: ${m.label}`, { id: 'supporter.training.start-label' })
              : msg(str`Retake: ${m.label}`, { id: 'supporter.training.retake-label' })}>
            ${m.status === 'missing' ? msg('Start', { id: 'supporter.training.start' }) : msg('Retake', { id: 'supporter.training.retake' })}</button>`
        : html`<p class="hint">${msg('Taken outside the app; your institution records it.', { id: 'supporter.training.outside' })}</p>`}
    </li>`;
  }

  private list() {
    const mods = this.modules;
    if (mods === null) return html`<p class="muted">${msg('Loading …', { id: 'supporter.loading' })}</p>`;
    if (mods.length === 0) return html`<p class="muted">${msg('Your institution has no training modules.', { id: 'supporter.training.none' })}</p>`;
    return html`<ul class="cards">${mods.map((m) => this.card(m))}</ul>`;
  }

  private scenario(s: TrainingScenarioSection, index: number) {
    const chosen = this.picked.get(index);
    const c = chosen === undefined ? undefined : s.choices[chosen];
    return html`
      <p class="situation">${s.situation}</p>
      <fieldset>
        <legend>${s.prompt ?? msg('What do you do?', { id: 'supporter.training.prompt' })}</legend>
        ${s.choices.map((ch, j) => html`<label class="choice"><input type="radio" name=${`s${index}`} value=${j} .checked=${chosen === j} @change=${() => this.pick(index, j)}> ${ch.text}</label>`)}
      </fieldset>
      <div class="feedback" role="status">${c ? html`<strong>${c.good ? msg('A good response.', { id: 'supporter.training.good' }) : msg('Not the best response.', { id: 'supporter.training.not-good' })}</strong>${c.feedback}` : nothing}</div>`;
  }

  private sectionStep(c: TrainingContent, index: number) {
    const s = c.sections[index]!;
    const total = c.sections.length;
    const isScenario = s.kind === 'scenario';
    return html`
      <div class="section">
        <p class="progress">${msg(str`Part ${index + 1} of ${total}`, { id: 'supporter.training.progress' })}</p>
        <h3 id="step-heading" tabindex="-1">${s.heading}</h3>
        ${s.kind === 'text' ? s.paragraphs.map((p) => html`<p>${p}</p>`) : this.scenario(s, index)}
        <div class="actions">
          ${index > 0 ? html`<button @click=${() => this.go({ kind: 'section', index: index - 1 })}>${msg('Back', { id: 'supporter.training.back' })}</button>` : nothing}
          <button class="primary" ?disabled=${isScenario && !this.picked.has(index)}
            @click=${() => this.go(index + 1 < total ? { kind: 'section', index: index + 1 } : { kind: 'check' })}>
            ${index + 1 < total ? msg('Continue', { id: 'supporter.training.next' }) : msg('Go to the check', { id: 'supporter.training.to-check' })}</button>
        </div>
        ${isScenario && !this.picked.has(index) ? html`<p class="hint">${msg('Choose a response to see its feedback and continue.', { id: 'supporter.training.choose-first' })}</p>` : nothing}
      </div>`;
  }

  private checkStep(c: TrainingContent) {
    const n = c.check.questions.length;
    return html`
      <h3 id="step-heading" tabindex="-1">${msg('Check', { id: 'supporter.training.check' })}</h3>
      <p>${msg(str`${n} questions; ${c.check.pass_mark} correct answers pass.`, { id: 'supporter.training.check-intro' })}</p>
      <form @submit=${(e: Event) => { void this.submit(e); }} aria-describedby="training-problem">
        ${c.check.questions.map((q, i) => html`
          <fieldset>
            <legend>${msg(str`Question ${i + 1}: ${q.question}`, { id: 'supporter.training.question' })}</legend>
            ${q.multiple ? html`<p class="hint">${msg('Choose all that apply.', { id: 'supporter.training.multiple' })}</p>` : nothing}
            ${q.choices.map((ch, j) => html`<label class="choice"><input type=${q.multiple ? 'checkbox' : 'radio'} name=${`q${i}`} value=${j}> ${ch.text}</label>`)}
          </fieldset>`)}
        <div class="actions">
          <button type="button" @click=${() => this.go({ kind: 'section', index: c.sections.length - 1 })}>${msg('Back', { id: 'supporter.training.back' })}</button>
          <button type="submit" class="primary" ?disabled=${this.busy}>${msg('Submit answers', { id: 'supporter.training.submit' })}</button>
        </div>
      </form>`;
  }

  private resultStep(c: TrainingContent, r: TrainingAttemptResult) {
    return html`
      <h3 id="step-heading" tabindex="-1">${r.passed ? msg('Passed', { id: 'supporter.training.result-passed' }) : msg('Not passed yet', { id: 'supporter.training.result-failed' })}</h3>
      <p>${msg(str`${r.score} of ${r.total} correct (${r.pass_mark} needed).`, { id: 'supporter.training.score' })}</p>
      <ol class="results">${r.questions.map((q, i) => html`<li>${c.check.questions[i]?.question ?? ''} — ${q.correct
        ? msg('correct', { id: 'supporter.training.q-correct' })
        : msg('not correct', { id: 'supporter.training.q-wrong' })}</li>`)}</ol>
      ${r.passed ? html`<p>${msg(str`Your training record now shows ${c.title}, version ${r.version}, valid until ${r.training.expires ?? ''}.`, { id: 'supporter.training.recorded' })}</p>` : nothing}
      <div class="actions">
        ${r.passed ? nothing : html`<button class="primary" @click=${() => this.go({ kind: 'check' })}>${msg('Try the check again', { id: 'supporter.training.retry' })}</button>`}
        <button @click=${() => this.leave()}>${msg('Back to your training', { id: 'supporter.training.leave' })}</button>
      </div>`;
  }

  private taking(c: TrainingContent) {
    const step = this.step;
    return html`
      <h2 id="training-heading" tabindex="-1">${c.title}</h2>
      ${step.kind === 'section' ? this.sectionStep(c, step.index) : step.kind === 'check' ? this.checkStep(c) : this.result ? this.resultStep(c, this.result) : nothing}
      ${step.kind !== 'result' ? html`<p><button @click=${() => this.leave()}>${msg('Leave the module', { id: 'supporter.training.exit' })}</button></p>` : nothing}`;
  }

  override render() {
    return html`
      <section aria-labelledby="training-heading" aria-busy=${this.busy ? 'true' : 'false'}>
        ${this.content ? this.taking(this.content) : html`
          <h2 id="training-heading" tabindex="-1">${msg('Training', { id: 'supporter.training.panel' })}</h2>
          ${this.list()}`}
        <p class="visually-hidden" role="status" aria-live="polite">${this.announcement}</p>
        <p id="training-problem" class="problem" role="alert">${this.problem}</p>
      </section>`;
  }
}

customElements.define('peerline-supporter-training', SupporterTraining);

declare global {
  interface HTMLElementTagNameMap { 'peerline-supporter-training': SupporterTraining }
}
