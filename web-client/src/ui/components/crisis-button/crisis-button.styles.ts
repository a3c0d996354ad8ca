import { css } from 'lit';

export const crisisButtonStyles = css`
  :host { display: inline-block; }
  .open {
    font: inherit; font-weight: 700; cursor: pointer;
    background: var(--pl-crisis-bg); color: var(--pl-crisis-fg);
    border: 2px solid var(--pl-crisis-bg); border-radius: var(--pl-radius);
    padding: var(--pl-space-2) var(--pl-space-3); min-height: 2.75rem;
  }
  .open:focus-visible, .close:focus-visible, a:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  dialog {
    background: var(--pl-surface); color: var(--pl-text); border: 1px solid var(--pl-border);
    border-radius: var(--pl-radius); padding: var(--pl-space-4); max-width: min(36rem, 92vw);
  }
  dialog::backdrop { background: rgb(0 0 0 / 0.5); }
  h2 { margin-top: 0; font-size: 1.375rem; }
  h3 { margin: 0 0 var(--pl-space-1); font-size: 1.0625rem; }
  ul { list-style: none; padding: 0; margin: 0 0 var(--pl-space-3); display: grid; gap: var(--pl-space-3); }
  li { border-top: 1px solid var(--pl-border); padding-top: var(--pl-space-2); }
  p { margin: 0 0 var(--pl-space-1); }
  a { color: var(--pl-link); display: inline-block; margin-right: var(--pl-space-3); padding: var(--pl-space-1) 0; font-weight: 600; }
  .hours { color: var(--pl-text-muted); }
  .close {
    font: inherit; cursor: pointer; background: var(--pl-accent); color: var(--pl-accent-fg);
    border: none; border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-4); min-height: 2.75rem;
  }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
