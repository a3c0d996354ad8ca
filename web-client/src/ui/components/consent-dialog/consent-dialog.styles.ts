import { css } from 'lit';

export const consentDialogStyles = css`
  dialog {
    background: var(--pl-surface); color: var(--pl-text); border: 1px solid var(--pl-border);
    border-radius: var(--pl-radius); padding: var(--pl-space-4); max-width: min(38rem, 94vw); max-height: 92vh; overflow: auto;
  }
  dialog[open] { animation: appear var(--pl-transition) ease-out; }
  @keyframes appear { from { opacity: 0; transform: translateY(0.5rem); } to { opacity: 1; transform: none; } }
  @media (prefers-reduced-motion: reduce) { dialog[open] { animation: none; } }
  dialog::backdrop { background: rgb(0 0 0 / 0.5); }
  .crisis { border: 2px solid var(--pl-crisis-bg); border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3); margin-bottom: var(--pl-space-3); }
  .crisis ul { list-style: none; margin: 0; padding: 0; display: grid; gap: var(--pl-space-1); }
  .crisis li { display: flex; flex-wrap: wrap; gap: var(--pl-space-2); align-items: baseline; }
  .name { font-weight: 600; }
  h2 { margin: 0 0 var(--pl-space-2); font-size: 1.375rem; }
  h2:focus { outline: none; }
  .crisis h2 { margin: 0 0 var(--pl-space-1); font-size: 1.0625rem; }
  h2:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  p { margin: 0 0 var(--pl-space-2); }
  a { color: var(--pl-link); font-weight: 600; padding: var(--pl-space-1) 0; }
  fieldset { border: 1px solid var(--pl-border); border-radius: var(--pl-radius); margin: 0 0 var(--pl-space-2); padding: var(--pl-space-2) var(--pl-space-3); display: grid; gap: var(--pl-space-2); }
  legend { font-weight: 700; padding: 0 var(--pl-space-1); }
  label { display: flex; gap: var(--pl-space-2); align-items: flex-start; min-height: 2.75rem; }
  input { width: 1.25rem; height: 1.25rem; margin-top: 0.125rem; flex: none; }
  .detail { margin-left: var(--pl-space-4); }
  .detail label[for] { min-height: 0; font-weight: 600; }
  textarea { font: inherit; width: 100%; box-sizing: border-box; color: var(--pl-text); background: var(--pl-bg); border: 1px solid var(--pl-border-strong); border-radius: var(--pl-radius); padding: var(--pl-space-2); }
  .message span { overflow-wrap: anywhere; }
  .note { margin: 0 0 var(--pl-space-2); padding: var(--pl-space-2) var(--pl-space-3); border-left: 4px solid var(--pl-border-strong); background: var(--pl-bg); }
  .note blockquote { margin: 0; overflow-wrap: anywhere; white-space: pre-line; }
  .note figcaption { color: var(--pl-text-muted); font-size: 0.9375rem; margin-top: var(--pl-space-1); }
  .hint { color: var(--pl-text-muted); font-size: 0.9375rem; }
  .problem { color: var(--pl-danger); font-weight: 600; min-height: 1.5em; }
  .actions { display: flex; flex-wrap: wrap; gap: var(--pl-space-2); justify-content: flex-end; }
  /* Both answers are the same size and weight: saying no must be as easy as saying yes. */
  .actions button {
    font: inherit; font-weight: 700; cursor: pointer; min-height: 2.75rem; flex: 1 1 12rem;
    border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3);
  }
  .no { background: var(--pl-bg); color: var(--pl-text); border: 2px solid var(--pl-border-strong); }
  .yes { background: var(--pl-accent); color: var(--pl-accent-fg); border: 2px solid var(--pl-accent); }
  button:focus-visible, a:focus-visible, input:focus-visible, textarea:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
