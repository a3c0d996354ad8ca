import { css } from 'lit';
import { signInFormStyles } from '../sign-in-form/sign-in-form.styles.ts';

export const registerFormStyles = [signInFormStyles, css`
  .hint { color: var(--pl-text-muted); margin: 0; font-size: 0.875rem; }
`];
