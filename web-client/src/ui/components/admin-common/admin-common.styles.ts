// Styles every admin-desk component shares: headings, tables, forms, buttons, status and problems.
import { css } from 'lit';

export const adminCommonStyles = css`
  :host { display: block; }
  h2 { font-size: 1.25rem; margin: 0 0 var(--pl-space-2); }
  h3 { font-size: 1.0625rem; margin: var(--pl-space-3) 0 var(--pl-space-1); }
  p { margin: 0 0 var(--pl-space-2); }
  .muted { color: var(--pl-text-muted); }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: var(--pl-space-1) var(--pl-space-3); margin: 0 0 var(--pl-space-3); }
  dt { font-weight: 700; }
  dd { margin: 0; overflow-wrap: anywhere; }
  @media (max-width: 30rem) { dl { grid-template-columns: 1fr; } dd { margin-bottom: var(--pl-space-1); } }
  .table-wrap { overflow-x: auto; max-width: 100%; margin-bottom: var(--pl-space-3); }
  table { border-collapse: collapse; min-width: 100%; }
  caption { text-align: left; font-weight: 700; padding-bottom: var(--pl-space-1); }
  th, td { text-align: left; vertical-align: top; padding: var(--pl-space-1) var(--pl-space-2); border-bottom: 1px solid var(--pl-border); overflow-wrap: anywhere; }
  th { font-weight: 700; background: var(--pl-surface); }
  td.num, th.num { text-align: right; }
  form { display: grid; gap: var(--pl-space-3); margin-bottom: var(--pl-space-3); }
  fieldset { border: 1px solid var(--pl-border); border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3); margin: 0; display: grid; gap: var(--pl-space-2); }
  legend { font-weight: 700; padding: 0 var(--pl-space-1); }
  label.block { display: grid; justify-items: start; gap: var(--pl-space-1); font-weight: 700; }
  input[name=user], input[name=team] { width: min(100%, 28rem); }
  .choice { display: flex; align-items: center; gap: var(--pl-space-2); min-height: 2.75rem; }
  input[type=checkbox] { width: 1.25rem; height: 1.25rem; margin: 0; }
  input:not([type=checkbox]), select {
    font: inherit; color: var(--pl-text); background: var(--pl-bg); border: 2px solid var(--pl-border-strong);
    border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-2); min-height: 2.75rem; max-width: 100%; box-sizing: border-box;
  }
  input[aria-invalid=true], fieldset[aria-invalid=true] { border-color: var(--pl-danger); border-width: 3px; }
  button {
    font: inherit; cursor: pointer; min-height: 2.75rem; border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-3);
    color: var(--pl-text); background: var(--pl-surface); border: 2px solid var(--pl-border-strong);
  }
  button.primary { font-weight: 700; background: var(--pl-accent); color: var(--pl-accent-fg); border-color: var(--pl-accent); }
  button:disabled { cursor: not-allowed; opacity: 0.7; }
  button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible, [tabindex]:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  .actions { display: flex; flex-wrap: wrap; gap: var(--pl-space-2); align-items: center; }
  .status { min-height: 1.5em; margin: 0 0 var(--pl-space-2); }
  .problem { color: var(--pl-danger); border-left: 4px solid var(--pl-danger); padding: var(--pl-space-1) var(--pl-space-2); margin: 0 0 var(--pl-space-3); }
  .problem ul { margin: var(--pl-space-1) 0 0; padding-left: var(--pl-space-4); }
  .field-problem { color: var(--pl-danger); font-weight: 400; margin: 0; }
  code { font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
`;
