import { css } from 'lit';
import { supporterBaseStyles } from '../supporter-shared/supporter.styles.ts';

export const supporterTrainingStyles = [supporterBaseStyles, css`
  h3:focus { outline: none; }
  .status-line { font-weight: 700; margin: 0 0 var(--pl-space-1); }
  .progress { color: var(--pl-text-muted); font-size: 0.9375rem; }
  .section p { max-width: 40rem; line-height: 1.5; }
  .situation { border-left: 4px solid var(--pl-border-strong); padding-left: var(--pl-space-2); }
  .feedback { margin: 0 0 var(--pl-space-2); padding: var(--pl-space-2); border-radius: var(--pl-radius); border: 1px solid var(--pl-border); }
  .feedback:empty { display: none; }
  .feedback strong { display: block; }
  .choice { align-items: flex-start; padding: var(--pl-space-1) 0; }
  .choice input { margin-top: 0.2rem; }
  ol.results { padding-left: var(--pl-space-4); }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`];
