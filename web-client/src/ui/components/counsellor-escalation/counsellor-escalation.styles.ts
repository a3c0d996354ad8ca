import { css } from 'lit';
import { counsellorBaseStyles } from '../counsellor-shared/counsellor.styles.ts';

export const counsellorEscalationStyles = [counsellorBaseStyles, css`
  article { border: 1px solid var(--pl-border); border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3); background: var(--pl-bg); }
  article.overdue-card { border: 3px solid var(--pl-danger); }
  h3 { display: flex; flex-wrap: wrap; align-items: baseline; gap: var(--pl-space-2); }
  .topic { color: var(--pl-text); }
  dd.overdue { font-weight: 700; }
  .panel { margin-top: var(--pl-space-2); border-top: 1px solid var(--pl-border); padding-top: var(--pl-space-2); }
`];
