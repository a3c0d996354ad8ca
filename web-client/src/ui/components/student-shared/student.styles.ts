// The look the student's desk and account parts share: native controls on the design tokens, 2.75rem
// touch targets, a visible focus ring, cards that wrap at 320 px and at 200% text.
import { css } from 'lit';

export const studentBaseStyles = css`
  :host { display: block; }
  h3 { font-size: 1.0625rem; margin: 0 0 var(--pl-space-1); overflow-wrap: anywhere; }
  p { margin: 0 0 var(--pl-space-2); }
  ul.cards { list-style: none; margin: 0; padding: 0; display: grid; gap: var(--pl-space-2); }
  ul.cards > li { border: 1px solid var(--pl-border); border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3); background: var(--pl-bg); overflow-wrap: anywhere; }
  .meta, .muted { color: var(--pl-text-muted); }
  .meta { font-size: 0.9375rem; }
  .problem { color: var(--pl-danger); margin: 0 0 var(--pl-space-2); }
  .problem:empty { display: none; }
  .actions { display: flex; flex-wrap: wrap; gap: var(--pl-space-2); }
  .confirm { border-left: 4px solid var(--pl-danger); padding-left: var(--pl-space-2); margin-top: var(--pl-space-2); }
  .confirm p { font-weight: 700; }
  label.block { display: grid; gap: var(--pl-space-1); font-weight: 700; margin-bottom: var(--pl-space-2); }
  input {
    font: inherit; color: var(--pl-text); background: var(--pl-bg); border: 2px solid var(--pl-border-strong);
    border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-2); min-height: 2.75rem; max-width: 100%; box-sizing: border-box;
  }
  button {
    font: inherit; cursor: pointer; min-height: 2.75rem; border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-3);
    color: var(--pl-text); background: var(--pl-surface); border: 2px solid var(--pl-border-strong);
  }
  button.primary { background: var(--pl-accent); border-color: var(--pl-accent); color: var(--pl-accent-fg); font-weight: 700; }
  button.danger { background: var(--pl-danger); border-color: var(--pl-danger); color: var(--pl-bg); font-weight: 700; }
  button[disabled] { cursor: progress; opacity: 0.8; }
  button:focus-visible, input:focus-visible, [tabindex='-1']:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  @media (prefers-reduced-motion: no-preference) { button { transition: background-color var(--pl-transition); } }
`;
