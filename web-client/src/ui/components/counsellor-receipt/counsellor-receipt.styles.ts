import { css } from 'lit';
import { counsellorBaseStyles } from '../counsellor-shared/counsellor.styles.ts';

export const counsellorReceiptStyles = [counsellorBaseStyles, css`
  .receipt { border-left: 4px solid var(--pl-border-strong); padding-left: var(--pl-space-2); }
  .title { font-weight: 700; margin-bottom: var(--pl-space-1); }
  dl { margin: 0; }
  .verified { font-weight: 700; }
  .unverified { font-weight: 700; color: var(--pl-danger); }
`];
