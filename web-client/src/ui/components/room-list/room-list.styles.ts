import { css } from 'lit';

export const roomListStyles = css`
  :host { display: block; }
  ul { list-style: none; margin: 0; padding: 0; display: grid; gap: var(--pl-space-1); }
  button {
    font: inherit; color: var(--pl-text); background: var(--pl-surface); text-align: start; cursor: pointer;
    width: 100%; display: grid; gap: 0.125rem; padding: var(--pl-space-2) var(--pl-space-3);
    border: 1px solid var(--pl-border); border-radius: var(--pl-radius); min-height: 2.75rem;
  }
  button[aria-current='true'] { border-color: var(--pl-accent); box-shadow: inset 4px 0 0 var(--pl-accent); }
  button:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  .name { font-weight: 600; overflow-wrap: anywhere; }
  .meta { color: var(--pl-text-muted); font-size: 0.875rem; }
  .unread { justify-self: start; background: var(--pl-accent); color: var(--pl-accent-fg); border-radius: 999px; padding: 0 var(--pl-space-2); font-size: 0.875rem; }
  .empty { color: var(--pl-text-muted); }
`;
