import { css } from 'lit';

export const keyBackupDialogStyles = css`
  dialog {
    max-width: min(32rem, calc(100vw - 2rem)); border: 1px solid var(--pl-border); border-radius: var(--pl-radius);
    background: var(--pl-bg); color: var(--pl-text); padding: var(--pl-space-4);
  }
  dialog::backdrop { background: rgb(0 0 0 / 0.5); }
  h2 { font-size: 1.25rem; margin: 0 0 var(--pl-space-2); }
  p { margin: 0 0 var(--pl-space-3); }
  .key {
    display: block; font-family: ui-monospace, monospace; font-size: 1rem; word-spacing: 0.25em; overflow-wrap: anywhere;
    background: var(--pl-surface); border: 1px solid var(--pl-border-strong); border-radius: var(--pl-radius); padding: var(--pl-space-2);
    margin-bottom: var(--pl-space-3);
  }
  form { display: grid; gap: var(--pl-space-2); }
  label { font-weight: 600; }
  input {
    font: inherit; font-family: ui-monospace, monospace; color: var(--pl-text); background: var(--pl-bg);
    border: 2px solid var(--pl-border-strong); border-radius: var(--pl-radius); padding: var(--pl-space-2); min-height: 2.75rem;
  }
  .actions { display: flex; flex-wrap: wrap; gap: var(--pl-space-2); margin-top: var(--pl-space-2); }
  button {
    font: inherit; cursor: pointer; min-height: 2.75rem; border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-3);
    color: var(--pl-text); background: var(--pl-surface); border: 2px solid var(--pl-border-strong);
  }
  button.primary { font-weight: 700; background: var(--pl-accent); color: var(--pl-accent-fg); border-color: var(--pl-accent); }
  button:focus-visible, input:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  button:disabled { cursor: progress; }
  .status { color: var(--pl-text-muted); margin: 0; min-height: 1.5em; }
  .problem { color: var(--pl-danger); margin: 0; min-height: 1.5em; }
`;
