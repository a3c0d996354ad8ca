import { css } from 'lit';

export const signInFormStyles = css`
  :host { display: block; }
  form { display: grid; gap: var(--pl-space-2); }
  label { font-weight: 600; }
  input {
    font: inherit; color: var(--pl-text); background: var(--pl-bg);
    border: 2px solid var(--pl-border-strong); border-radius: var(--pl-radius);
    padding: var(--pl-space-2); min-height: 2.75rem;
  }
  input:focus-visible, button:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  button {
    font: inherit; font-weight: 700; cursor: pointer; margin-top: var(--pl-space-2);
    background: var(--pl-accent); color: var(--pl-accent-fg); border: none;
    border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-4); min-height: 2.75rem;
  }
  button:disabled { cursor: progress; }
  .problem { color: var(--pl-danger); margin: 0; min-height: 1.5em; }
`;

/** The single sign-on buttons above (or instead of) the password form. */
export const ssoStyles = css`
  .sso { display: grid; gap: var(--pl-space-2); margin-bottom: var(--pl-space-3); }
  .providers { list-style: none; margin: 0; padding: 0; display: grid; gap: var(--pl-space-2); }
  .providers button { width: 100%; margin-top: 0; }
  .status { margin: 0; }
  .or { margin: var(--pl-space-2) 0 0; color: var(--pl-text-muted); }
`;
