import { css } from 'lit';

export const messageComposerStyles = css`
  :host { display: block; }
  form { display: grid; grid-template-columns: 1fr auto; gap: var(--pl-space-1) var(--pl-space-2); align-items: end; }
  label { grid-column: 1 / -1; font-weight: 600; }
  textarea {
    font: inherit; color: var(--pl-text); background: var(--pl-bg); resize: vertical;
    border: 2px solid var(--pl-border-strong); border-radius: var(--pl-radius); padding: var(--pl-space-2); min-height: 2.75rem;
  }
  .hint { grid-column: 1 / -1; grid-row: 3; margin: 0; color: var(--pl-text-muted); font-size: 0.875rem; }
  button {
    font: inherit; font-weight: 700; cursor: pointer; background: var(--pl-accent); color: var(--pl-accent-fg);
    border: none; border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-4); min-height: 2.75rem;
  }
  textarea:focus-visible, button:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
`;
