import { css } from 'lit';
import { supporterBaseStyles } from '../supporter-shared/supporter.styles.ts';

export const supporterAvailabilityStyles = [supporterBaseStyles, css`
  .switch { display: flex; align-items: center; gap: var(--pl-space-2); min-height: 2.75rem; font-weight: 700; font-size: 1.0625rem; }
  .switch input { width: 1.5rem; height: 1.5rem; }
  .state { font-weight: 700; }
  ul.training { margin: 0 0 var(--pl-space-2); padding-left: var(--pl-space-4); }
  ul.training li { margin-bottom: var(--pl-space-1); overflow-wrap: anywhere; }
`];
