// An inline "are you sure?" step for one item of a list at a time. Asking opens it and puts focus on
// the safe choice (the button marked data-keep="<id>"); keeping closes it and returns focus to the
// button that asked (data-<asker>="<id>"); confirming just closes it and the host acts.
import type { ReactiveControllerHost } from 'lit';

type Host = ReactiveControllerHost & { renderRoot: HTMLElement | DocumentFragment };

export class ConfirmStep {
  /** The item whose confirm step is open, if any. */
  open: string | null = null;
  private readonly host: Host;
  private readonly asker: string;

  /** `askerAttribute` marks the button that opens the step, e.g. 'data-end'. */
  constructor(host: Host, askerAttribute: string) {
    this.host = host;
    this.asker = askerAttribute;
  }

  async ask(id: string): Promise<void> {
    this.set(id);
    await this.host.updateComplete;
    this.focus('data-keep', id);
  }

  async keep(id: string): Promise<void> {
    this.set(null);
    await this.host.updateComplete;
    this.focus(this.asker, id);
  }

  /** The person confirmed: the step closes. */
  close(): void {
    this.set(null);
  }

  private set(id: string | null): void {
    this.open = id;
    this.host.requestUpdate();
  }

  private focus(attribute: string, id: string): void {
    this.host.renderRoot.querySelector<HTMLButtonElement>(`[${attribute}="${id}"]`)?.focus();
  }
}
