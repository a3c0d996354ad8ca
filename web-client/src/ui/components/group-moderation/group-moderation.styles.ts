import { css } from 'lit';

export const groupModerationStyles = css`
  :host { display: block; }
  h2 { font-size: 1.25rem; margin: 0 0 var(--pl-space-2); overflow-wrap: anywhere; }
  h3 { font-size: 1.0625rem; margin: 0 0 var(--pl-space-2); }
  h4 { font-size: 1rem; margin: 0 0 var(--pl-space-1); }
  [tabindex='-1']:focus { outline: none; }
  [tabindex='-1']:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  p { margin: 0 0 var(--pl-space-2); }
  section { margin: 0 0 var(--pl-space-4); }
  form { display: grid; gap: var(--pl-space-2); }
  label.block { display: grid; gap: var(--pl-space-1); font-weight: 700; }
  fieldset { border: 1px solid var(--pl-border); border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3); margin: 0; display: grid; gap: var(--pl-space-1); min-width: 0; }
  legend { font-weight: 700; padding: 0 var(--pl-space-1); }
  label.choice { display: flex; gap: var(--pl-space-2); align-items: center; min-height: 2.75rem; }
  input[type=radio] { width: 1.25rem; height: 1.25rem; margin: 0; flex: none; }
  select, textarea {
    font: inherit; color: var(--pl-text); background: var(--pl-bg); border: 2px solid var(--pl-border-strong);
    border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-2); min-height: 2.75rem; width: 100%; box-sizing: border-box;
  }
  textarea { min-height: 4.5rem; }
  .hint, .meta { color: var(--pl-text-muted); font-size: 0.9375rem; font-weight: 400; overflow-wrap: anywhere; }
  .problem { color: var(--pl-danger); font-weight: 600; }
  .problem:empty { display: none; }
  .confirm { border: 2px solid var(--pl-border-strong); border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3); background: var(--pl-surface); }
  .confirm p { overflow-wrap: anywhere; }
  .actions { display: flex; flex-wrap: wrap; gap: var(--pl-space-2); }
  button {
    font: inherit; cursor: pointer; min-height: 2.75rem; border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-3);
    color: var(--pl-text); background: var(--pl-bg); border: 2px solid var(--pl-border-strong);
  }
  button.primary { font-weight: 700; background: var(--pl-accent); color: var(--pl-accent-fg); border-color: var(--pl-accent); }
  button[disabled] { cursor: not-allowed; opacity: 0.7; }
  button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  ul.reports { list-style: none; margin: 0; padding: 0; display: grid; gap: var(--pl-space-2); }
  ul.reports > li { border: 1px solid var(--pl-border); border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3); background: var(--pl-bg); }
  blockquote {
    margin: 0 0 var(--pl-space-2); padding: var(--pl-space-2) var(--pl-space-3); border-left: 4px solid var(--pl-border-strong);
    background: var(--pl-surface); white-space: pre-wrap; overflow-wrap: anywhere;
  }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  @media (prefers-reduced-motion: no-preference) { button { transition: background-color var(--pl-transition); } }
`;
