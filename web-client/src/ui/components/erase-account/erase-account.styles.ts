import { css } from 'lit';
import { studentBaseStyles } from '../student-shared/student.styles.ts';

export const eraseAccountStyles = [studentBaseStyles, css`
  ul.facts { margin: 0 0 var(--pl-space-3); padding-left: 1.25rem; display: grid; gap: var(--pl-space-1); }
  form { margin-top: var(--pl-space-2); }
  input { width: 20rem; }
`];
