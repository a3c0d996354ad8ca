import { css } from 'lit';
import { supporterBaseStyles } from '../supporter-shared/supporter.styles.ts';

export const supervisionDeskStyles = [supporterBaseStyles, css`
  section + section { margin-top: var(--pl-space-3); border-top: 1px solid var(--pl-border); padding-top: var(--pl-space-3); }
  .table-wrap { overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; font-size: 0.9375rem; }
  caption { text-align: left; font-weight: 700; margin-bottom: var(--pl-space-1); }
  th, td { text-align: left; padding: var(--pl-space-1) var(--pl-space-2); border-bottom: 1px solid var(--pl-border); vertical-align: top; }
  th[scope=col] { white-space: nowrap; }
  td.num { font-variant-numeric: tabular-nums; }
  .status { min-height: 1.5em; margin: 0 0 var(--pl-space-2); }
`];
