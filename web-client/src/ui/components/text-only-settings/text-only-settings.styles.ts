import { css } from 'lit';
import { studentBaseStyles } from '../student-shared/student.styles.ts';

export const textOnlySettingsStyles = [studentBaseStyles, css`
  .choice { display: flex; gap: var(--pl-space-2); align-items: flex-start; }
  /* A large target for touch on small phones. */
  .choice input { inline-size: 1.5rem; block-size: 1.5rem; margin: 0.1rem 0 0; flex: none; accent-color: var(--pl-accent); }
  .choice label { font-weight: 700; }
  .suggested { font-weight: 700; }
`];
