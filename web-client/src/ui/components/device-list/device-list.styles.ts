import { css } from 'lit';
import { keyBackupDialogStyles } from '../key-backup-dialogs/key-backup-dialogs.styles.ts';

export const deviceListStyles = [keyBackupDialogStyles, css`
  :host { display: inline-block; }
  ul { list-style: none; margin: 0 0 var(--pl-space-3); padding: 0; display: grid; gap: var(--pl-space-1); }
  li { padding: var(--pl-space-2); border: 1px solid var(--pl-border); border-radius: var(--pl-radius); overflow-wrap: anywhere; }
  .this { font-weight: 700; }
  .meta { color: var(--pl-text-muted); font-size: 0.875rem; }
  input { font-family: inherit; }
`];
