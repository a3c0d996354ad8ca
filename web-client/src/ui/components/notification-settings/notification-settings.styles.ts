import { css } from 'lit';
import { studentBaseStyles } from '../student-shared/student.styles.ts';

export const notificationSettingsStyles = [studentBaseStyles, css`
  .promise { font-weight: 700; }
  .state:focus { outline: none; }
  .state:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
`];
