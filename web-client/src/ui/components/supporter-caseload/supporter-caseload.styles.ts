import { css } from 'lit';
import { supporterBaseStyles } from '../supporter-shared/supporter.styles.ts';

export const supporterCaseloadStyles = [supporterBaseStyles, css`
  .empty { color: var(--pl-text-muted); }
  .explain { background: var(--pl-surface); border-radius: var(--pl-radius); padding: var(--pl-space-2); }
  .optional { font-weight: 400; color: var(--pl-text-muted); }
`];
