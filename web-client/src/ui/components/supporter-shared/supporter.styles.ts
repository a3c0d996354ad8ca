// The look every part of the supporter desk shares: native controls on the design tokens, 2.75rem
// touch targets, a visible focus ring, cards that wrap at 320 px.
import { css } from 'lit';

export const supporterBaseStyles = css`
  :host { display: block; }
  h2 { font-size: 1.25rem; margin: 0 0 var(--pl-space-2); }
  h2:focus { outline: none; }
  h3 { font-size: 1.0625rem; margin: 0 0 var(--pl-space-1); overflow-wrap: anywhere; }
  p { margin: 0 0 var(--pl-space-2); }
  ul.cards { list-style: none; margin: 0; padding: 0; display: grid; gap: var(--pl-space-2); }
  ul.cards > li { border: 1px solid var(--pl-border); border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3); background: var(--pl-bg); }
  .meta { color: var(--pl-text-muted); font-size: 0.9375rem; margin: 0 0 var(--pl-space-2); overflow-wrap: anywhere; }
  .hint, .muted { color: var(--pl-text-muted); }
  .warning { border-left: 4px solid var(--pl-danger); padding-left: var(--pl-space-2); color: var(--pl-text); }
  .problem { color: var(--pl-danger); margin: 0; }
  .problem:empty { display: none; }
  .actions { display: flex; flex-wrap: wrap; gap: var(--pl-space-2); }
  fieldset { border: 1px solid var(--pl-border); border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3); margin: 0 0 var(--pl-space-2); min-width: 0; }
  legend { font-weight: 700; padding: 0 var(--pl-space-1); }
  .choice { display: flex; align-items: center; gap: var(--pl-space-2); min-height: 2.75rem; }
  input[type=checkbox], input[type=radio] { width: 1.25rem; height: 1.25rem; margin: 0; flex: none; }
  label.block { display: grid; gap: var(--pl-space-1); font-weight: 700; margin-bottom: var(--pl-space-2); }
  input:not([type=checkbox]):not([type=radio]), select, textarea {
    font: inherit; color: var(--pl-text); background: var(--pl-bg); border: 2px solid var(--pl-border-strong);
    border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-2); min-height: 2.75rem; max-width: 100%; box-sizing: border-box;
  }
  textarea { min-height: 4.5rem; }
  button {
    font: inherit; cursor: pointer; min-height: 2.75rem; border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-3);
    color: var(--pl-text); background: var(--pl-surface); border: 2px solid var(--pl-border-strong);
  }
  button.primary { font-weight: 700; background: var(--pl-accent); color: var(--pl-accent-fg); border-color: var(--pl-accent); }
  button[disabled], input[disabled] { cursor: not-allowed; opacity: 0.7; }
  button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  dialog {
    max-width: min(34rem, calc(100vw - 2rem)); border: 1px solid var(--pl-border); border-radius: var(--pl-radius);
    background: var(--pl-bg); color: var(--pl-text); padding: var(--pl-space-4); box-sizing: border-box;
  }
  dialog::backdrop { background: rgb(0 0 0 / 0.5); }
  @media (prefers-reduced-motion: no-preference) { button { transition: background-color var(--pl-transition); } }
`;

/** A waiting time in whole minutes, at least one (for "waiting about N min"). */
export function minutesOf(seconds: number): number {
  return Math.max(1, Math.round(seconds / 60));
}

/** The policy label of a topic id, or the id when the policy has none. */
export function topicLabel(topics: readonly { id: string; label: string }[], id: string): string {
  return topics.find((t) => t.id === id)?.label ?? id;
}
