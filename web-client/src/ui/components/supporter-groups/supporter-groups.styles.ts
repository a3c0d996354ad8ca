import { css } from 'lit';
import { supporterBaseStyles } from '../supporter-shared/supporter.styles.ts';

export const supporterGroupsStyles = [supporterBaseStyles, css`
  .empty { color: var(--pl-text-muted); }
  form.open { display: grid; gap: var(--pl-space-1); margin-top: var(--pl-space-3); border-top: 1px solid var(--pl-border); padding-top: var(--pl-space-3); }
  .moderation:empty { display: none; }
  details { margin-top: var(--pl-space-2); }
  summary { cursor: pointer; min-height: 2.75rem; display: flex; align-items: center; color: var(--pl-link); font-weight: 700; }
  summary:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
`];
