import { css } from 'lit';
import { studentBaseStyles } from '../student-shared/student.styles.ts';

export const sessionListStyles = [studentBaseStyles, css`
  .state { font-weight: 700; margin: 0 0 var(--pl-space-1); }
  .check-in { border-top: 1px solid var(--pl-border); margin-top: var(--pl-space-2); padding-top: var(--pl-space-2); }
`];
