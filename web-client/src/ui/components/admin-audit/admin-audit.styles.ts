import { css } from 'lit';

export const auditStyles = css`
  .chain { border: 2px solid var(--pl-border-strong); border-left-width: 0.5rem; border-radius: var(--pl-radius); padding: var(--pl-space-2) var(--pl-space-3); margin-bottom: var(--pl-space-3); }
  .chain.broken { border-color: var(--pl-danger); color: var(--pl-danger); }
  .chain .verdict { font-size: 1.25rem; font-weight: 800; margin: 0; }
  .chain p:last-child { margin-bottom: 0; }
  .untrusted { color: var(--pl-danger); font-weight: 700; }
  td.details { font-size: 0.875rem; }
  th.num { white-space: nowrap; }
`;
