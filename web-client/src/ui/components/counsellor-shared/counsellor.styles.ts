// The look every part of the counsellor desk shares: native controls on the design tokens, 2.75rem
// touch targets, a visible focus ring, cards that wrap at 320 px, severity and lateness marked in
// words and shape as well as colour.
import { css } from 'lit';

export const counsellorBaseStyles = css`
  :host { display: block; }
  h2 { font-size: 1.25rem; margin: 0 0 var(--pl-space-2); }
  h3 { font-size: 1.0625rem; margin: 0 0 var(--pl-space-1); overflow-wrap: anywhere; }
  h2:focus, h3:focus { outline: none; }
  p { margin: 0 0 var(--pl-space-2); }
  dl { display: grid; grid-template-columns: minmax(7rem, max-content) 1fr; gap: var(--pl-space-1) var(--pl-space-3); margin: 0 0 var(--pl-space-2); }
  dt { font-weight: 700; }
  dd { margin: 0; overflow-wrap: anywhere; }
  @media (max-width: 30rem) { dl { grid-template-columns: 1fr; } dd { margin-bottom: var(--pl-space-1); } }
  .meta, .hint, .muted { color: var(--pl-text-muted); }
  .problem { color: var(--pl-danger); border-left: 4px solid var(--pl-danger); padding-left: var(--pl-space-2); margin: 0 0 var(--pl-space-2); }
  .actions { display: flex; flex-wrap: wrap; gap: var(--pl-space-2); margin-top: var(--pl-space-2); }
  fieldset { border: 1px solid var(--pl-border); border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3); margin: 0 0 var(--pl-space-2); min-width: 0; }
  legend { font-weight: 700; padding: 0 var(--pl-space-1); }
  .choice { display: flex; align-items: center; gap: var(--pl-space-2); min-height: 2.75rem; }
  input[type=radio] { width: 1.25rem; height: 1.25rem; margin: 0; flex: none; }
  label.block { display: grid; gap: var(--pl-space-1); font-weight: 700; margin-bottom: var(--pl-space-2); }
  select {
    font: inherit; color: var(--pl-text); background: var(--pl-bg); border: 2px solid var(--pl-border-strong);
    border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-2); min-height: 2.75rem; max-width: 100%; box-sizing: border-box;
  }
  button {
    font: inherit; cursor: pointer; min-height: 2.75rem; border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-3);
    color: var(--pl-text); background: var(--pl-surface); border: 2px solid var(--pl-border-strong);
  }
  button.primary { font-weight: 700; background: var(--pl-accent); color: var(--pl-accent-fg); border-color: var(--pl-accent); }
  button[disabled] { cursor: not-allowed; opacity: 0.7; }
  button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  .badge { display: inline-block; font-weight: 700; border: 2px solid currentColor; border-radius: var(--pl-radius); padding: 0 var(--pl-space-1); }
  .severity-critical, .severity-high, .overdue { color: var(--pl-danger); }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  @media (prefers-reduced-motion: no-preference) { button { transition: background-color var(--pl-transition); } }
`;
