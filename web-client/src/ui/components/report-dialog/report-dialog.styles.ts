import { css } from 'lit';

export const reportDialogStyles = css`
  :host { display: contents; }
  dialog {
    background: var(--pl-bg); color: var(--pl-text); border: 1px solid var(--pl-border);
    border-radius: var(--pl-radius); padding: var(--pl-space-4); width: min(34rem, calc(100vw - 2rem)); max-height: 92vh; overflow: auto; box-sizing: border-box;
  }
  dialog[open] { animation: appear var(--pl-transition) ease-out; }
  @keyframes appear { from { opacity: 0; transform: translateY(0.5rem); } to { opacity: 1; transform: none; } }
  @media (prefers-reduced-motion: reduce) { dialog[open] { animation: none; } }
  dialog::backdrop { background: rgb(0 0 0 / 0.5); }
  h2 { margin: 0 0 var(--pl-space-2); font-size: 1.375rem; }
  h2:focus { outline: none; }
  h2:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  p { margin: 0 0 var(--pl-space-2); }
  fieldset { border: 1px solid var(--pl-border); border-radius: var(--pl-radius); margin: 0 0 var(--pl-space-3); padding: var(--pl-space-2) var(--pl-space-3); display: grid; gap: var(--pl-space-1); min-width: 0; }
  legend { font-weight: 700; padding: 0 var(--pl-space-1); }
  label.choice { display: flex; gap: var(--pl-space-2); align-items: center; min-height: 2.75rem; }
  input[type=radio], input[type=checkbox] { width: 1.25rem; height: 1.25rem; margin: 0; flex: none; }
  blockquote {
    margin: 0 0 var(--pl-space-1); padding: var(--pl-space-2) var(--pl-space-3); border-left: 4px solid var(--pl-border-strong);
    background: var(--pl-surface); border-radius: 0 var(--pl-radius) var(--pl-radius) 0; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 12rem; overflow: auto;
  }
  .sender { font-weight: 600; margin: 0 0 var(--pl-space-1); overflow-wrap: anywhere; }
  label.block { display: grid; gap: var(--pl-space-1); font-weight: 700; margin: 0 0 var(--pl-space-1); }
  textarea {
    font: inherit; width: 100%; box-sizing: border-box; color: var(--pl-text); background: var(--pl-bg);
    border: 2px solid var(--pl-border-strong); border-radius: var(--pl-radius); padding: var(--pl-space-2); min-height: 5rem;
  }
  .hint { color: var(--pl-text-muted); font-size: 0.9375rem; }
  .summary { border: 1px solid var(--pl-border); border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3); margin: 0 0 var(--pl-space-2); }
  .summary ul { margin: 0; padding-left: var(--pl-space-4); }
  .problem { color: var(--pl-danger); font-weight: 600; }
  .problem:empty { display: none; }
  .actions { display: flex; flex-wrap: wrap; gap: var(--pl-space-2); justify-content: flex-end; }
  .actions button {
    font: inherit; font-weight: 700; cursor: pointer; min-height: 2.75rem; flex: 1 1 10rem;
    border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3);
  }
  .cancel { background: var(--pl-bg); color: var(--pl-text); border: 2px solid var(--pl-border-strong); }
  .send { background: var(--pl-accent); color: var(--pl-accent-fg); border: 2px solid var(--pl-accent); }
  button[disabled] { cursor: not-allowed; opacity: 0.7; }
  button:focus-visible, input:focus-visible, textarea:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
