import { css } from 'lit';

export const rosterStyles = css`
  section { margin-bottom: var(--pl-space-4); }
  ul.plain { list-style: none; margin: 0; padding: 0; }
  fieldset.module { border-style: dashed; }
  .problem:focus { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  input[type=number] { width: 7rem; }
`;
