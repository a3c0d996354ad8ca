import { css } from 'lit';
import { supporterBaseStyles } from '../supporter-shared/supporter.styles.ts';

export const supervisionSupporterStyles = [supporterBaseStyles, css`
  section + section { margin-top: var(--pl-space-3); border-top: 1px solid var(--pl-border); padding-top: var(--pl-space-3); }
  .state { font-weight: 700; }
  form { display: grid; gap: var(--pl-space-1); }
  .field { display: grid; gap: var(--pl-space-1); margin-bottom: var(--pl-space-2); }
  .field label { font-weight: 700; }
  .status { min-height: 1.5em; margin: 0 0 var(--pl-space-2); }
  .share { border-left: 4px solid var(--pl-border); padding-left: var(--pl-space-2); margin-top: var(--pl-space-2); }
  .share h4 { margin: 0 0 var(--pl-space-1); font-size: 1rem; }
  .share h4:focus { outline: none; }
  .quotes { margin: 0 0 var(--pl-space-2); padding-left: var(--pl-space-3); display: grid; gap: var(--pl-space-1); }
  .quotes blockquote { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
  .actions { display: flex; flex-wrap: wrap; gap: var(--pl-space-1); }
`];
