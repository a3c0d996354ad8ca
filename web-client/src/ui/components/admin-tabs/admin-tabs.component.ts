// Tabs after the WAI-ARIA tabs pattern: one tab stop, arrow keys (and Home/End) move between tabs and
// select them, the panel is the slotted content of the selected tab. The tab list and its panel live
// in this one shadow root so aria-controls/aria-labelledby can point at each other.
import { LitElement, html, css } from 'lit';

export interface TabChangeEvent extends CustomEvent<{ id: string }> { type: 'tab-change' }
export interface TabDef { id: string; label: string }

export class AdminTabs extends LitElement {
  static override properties = { tabs: { attribute: false }, selected: {}, label: {} };
  static override styles = css`
    :host { display: block; }
    [role=tablist] { display: flex; flex-wrap: wrap; gap: var(--pl-space-1); border-bottom: 2px solid var(--pl-border-strong); margin-bottom: var(--pl-space-3); }
    [role=tab] {
      font: inherit; cursor: pointer; min-height: 2.75rem; padding: var(--pl-space-1) var(--pl-space-3); color: var(--pl-text);
      background: var(--pl-surface); border: 2px solid var(--pl-border-strong); border-bottom: none; border-radius: var(--pl-radius) var(--pl-radius) 0 0;
    }
    /* Selected: inverted colours and a heavier weight and underline, so it does not rest on colour alone. */
    [role=tab][aria-selected=true] { background: var(--pl-text); color: var(--pl-bg); border-color: var(--pl-text); font-weight: 700; text-decoration: underline; text-underline-offset: 0.25em; }
    [role=tab]:focus-visible, [role=tabpanel]:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  `;
  declare tabs: TabDef[];
  declare selected: string;
  /** The accessible name of the tab list. */
  declare label: string;

  constructor() {
    super();
    this.tabs = [];
    this.selected = '';
    this.label = '';
  }

  private select(id: string, focus: boolean): void {
    if (id !== this.selected) {
      this.selected = id;
      this.dispatchEvent(new CustomEvent('tab-change', { detail: { id }, bubbles: true, composed: true }));
    }
    if (focus) void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`#tab-${id}`)?.focus());
  }

  private onKey(e: KeyboardEvent): void {
    const i = this.tabs.findIndex((t) => t.id === this.selected);
    const n = this.tabs.length;
    let next: number | null = null;
    if (e.key === 'ArrowRight') next = (i + 1) % n;
    else if (e.key === 'ArrowLeft') next = (i - 1 + n) % n;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = n - 1;
    if (next === null || n === 0) return;
    e.preventDefault();
    this.select(this.tabs[next]!.id, true);
  }

  override render() {
    const current = this.tabs.some((t) => t.id === this.selected) ? this.selected : this.tabs[0]?.id ?? '';
    return html`
      <div role="tablist" aria-label=${this.label} @keydown=${this.onKey}>
        ${this.tabs.map((t) => html`
          <button type="button" role="tab" id="tab-${t.id}" aria-controls="panel" aria-selected=${t.id === current ? 'true' : 'false'}
            tabindex=${t.id === current ? '0' : '-1'} @click=${() => this.select(t.id, false)}>${t.label}</button>`)}
      </div>
      <div role="tabpanel" id="panel" aria-labelledby="tab-${current}" tabindex="0"><slot></slot></div>`;
  }
}

customElements.define('peerline-admin-tabs', AdminTabs);

declare global {
  interface HTMLElementTagNameMap { 'peerline-admin-tabs': AdminTabs }
}
