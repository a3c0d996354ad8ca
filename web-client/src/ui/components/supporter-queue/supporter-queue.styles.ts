import { css } from 'lit';
import { supporterBaseStyles } from '../supporter-shared/supporter.styles.ts';

export const supporterQueueStyles = [supporterBaseStyles, css`
  .empty { color: var(--pl-text-muted); }
`];
