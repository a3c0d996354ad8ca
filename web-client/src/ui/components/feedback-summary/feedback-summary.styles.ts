import { css } from 'lit';
import { supporterBaseStyles } from '../supporter-shared/supporter.styles.ts';

export const feedbackSummaryStyles = [supporterBaseStyles, css`
  table { border-collapse: collapse; margin: 0 0 var(--pl-space-2); }
  caption { text-align: left; font-weight: 700; padding-bottom: var(--pl-space-1); }
  th, td { text-align: left; padding: var(--pl-space-1) var(--pl-space-2); border-bottom: 1px solid var(--pl-border); }
  td.n { text-align: right; font-variant-numeric: tabular-nums; }
  .headline { font-size: 1.125rem; font-weight: 700; }
`];
