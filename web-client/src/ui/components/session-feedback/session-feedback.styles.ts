import { css } from 'lit';
import { studentBaseStyles } from '../student-shared/student.styles.ts';

export const sessionFeedbackStyles = [studentBaseStyles, css`
  :host { margin-bottom: var(--pl-space-3); }
  section { border: 1px solid var(--pl-border); border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3); background: var(--pl-bg); }
  form { display: grid; gap: var(--pl-space-2); }
  fieldset { border: 1px solid var(--pl-border); border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-3) var(--pl-space-2); margin: 0; min-width: 0; }
  legend { font-weight: 700; padding: 0 var(--pl-space-1); }
  .choices { display: flex; flex-wrap: wrap; gap: 0 var(--pl-space-3); }
  label.choice { display: flex; align-items: center; gap: var(--pl-space-2); min-height: 2.75rem; }
  label.choice input { width: 1.25rem; height: 1.25rem; min-height: 0; margin: 0; }
  .hint { color: var(--pl-text-muted); font-size: 0.9375rem; }
`];
