import { css } from 'lit';

// The host sits above the page at the bottom edge (out of the app shell's grid), so a crisis note or
// an escalation's status never pushes the chat around; the consent dialog itself is a modal.
export const escalationHostStyles = css`
  :host { position: fixed; left: 0; right: 0; bottom: 0; z-index: 10; pointer-events: none; }
  peerline-consent-dialog, .panel { pointer-events: auto; }
  .stack { display: grid; gap: var(--pl-space-2); padding: var(--pl-space-2); justify-items: center; }
  .panel {
    pointer-events: auto; box-sizing: border-box; width: min(36rem, 100%); max-height: 60vh; overflow: auto;
    background: var(--pl-surface); color: var(--pl-text); border: 2px solid var(--pl-border-strong);
    border-radius: var(--pl-radius); padding: var(--pl-space-3); box-shadow: 0 0.25rem 1rem rgb(0 0 0 / 0.25);
  }
  .notice { border-color: var(--pl-crisis-bg); }
  .problem { border-color: var(--pl-danger); }
  h2 { margin: 0 0 var(--pl-space-2); font-size: 1.125rem; }
  p { margin: 0 0 var(--pl-space-2); }
  ul { list-style: none; margin: 0 0 var(--pl-space-2); padding: 0; display: grid; gap: var(--pl-space-1); }
  li { display: flex; flex-wrap: wrap; gap: var(--pl-space-2); align-items: baseline; }
  .name { font-weight: 600; }
  a { color: var(--pl-link); font-weight: 600; padding: var(--pl-space-1) 0; }
  .actions { display: flex; flex-wrap: wrap; gap: var(--pl-space-2); justify-content: flex-end; }
  button {
    font: inherit; font-weight: 700; cursor: pointer; min-height: 2.75rem; padding: var(--pl-space-2) var(--pl-space-3);
    border-radius: var(--pl-radius); background: var(--pl-bg); color: var(--pl-text); border: 2px solid var(--pl-border-strong);
  }
  button.primary { background: var(--pl-accent); color: var(--pl-accent-fg); border-color: var(--pl-accent); }
  button.danger { color: var(--pl-danger); border-color: var(--pl-danger); }
  button:disabled { cursor: default; opacity: 0.7; }
  button:focus-visible, a:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  @media (prefers-reduced-motion: no-preference) { .panel { transition: opacity var(--pl-transition); } }
`;
