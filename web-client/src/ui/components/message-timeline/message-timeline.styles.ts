import { css } from 'lit';

export const messageTimelineStyles = css`
  :host { display: block; min-height: 0; }
  .scroller { height: 100%; overflow-y: auto; padding: var(--pl-space-2); box-sizing: border-box; }
  .scroller:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: -3px; }
  ol { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: var(--pl-space-2); }
  /* Long histories stay smooth: off-screen messages skip layout and paint until scrolled near. */
  li {
    max-width: min(40rem, 85%); padding: var(--pl-space-2) var(--pl-space-3); border-radius: var(--pl-radius);
    background: var(--pl-bubble-theirs); color: var(--pl-text); content-visibility: auto; contain-intrinsic-size: auto 5rem;
  }
  li.mine { align-self: flex-end; background: var(--pl-bubble-mine); }
  p { margin: 0; }
  .sender { font-weight: 600; font-size: 0.875rem; display: flex; flex-wrap: wrap; gap: var(--pl-space-2); overflow-wrap: anywhere; }
  time, .state { color: var(--pl-text-muted); font-weight: 400; font-size: 0.875rem; }
  .body { white-space: pre-wrap; overflow-wrap: anywhere; }
  .locked { font-style: italic; color: var(--pl-text-muted); }
  li[data-state='failed'] .state { color: var(--pl-danger); }
  li[data-waiting='true'] .state { color: var(--pl-text-muted); }
  li[data-seen='true'] .state { color: var(--pl-text); }
  .state button, .actions button, .older {
    font: inherit; font-size: 0.875rem; cursor: pointer; color: var(--pl-link); background: none; border: none; text-decoration: underline;
    padding: 0 var(--pl-space-1); min-height: 1.5rem;
  }
  .actions { display: flex; justify-content: flex-end; }
  .older { display: block; margin: 0 auto var(--pl-space-2); min-height: 2.75rem; font-size: 1rem; }
  .older-status { text-align: center; color: var(--pl-text-muted); font-size: 0.875rem; margin-bottom: var(--pl-space-2); }
  button:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  .empty { color: var(--pl-text-muted); }
`;
