import { css } from 'lit';
import { studentBaseStyles } from '../student-shared/student.styles.ts';

export const consentReceiptsStyles = [studentBaseStyles, css`
  .state { font-weight: 700; }
`];
