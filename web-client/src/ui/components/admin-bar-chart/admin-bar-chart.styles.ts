import { css } from 'lit';

export const barChartStyles = css`
  figure { margin: 0 0 var(--pl-space-4); }
  figcaption { font-weight: 700; font-size: 1.0625rem; margin-bottom: var(--pl-space-1); }
  .summary { color: var(--pl-text); }
  svg.chart { display: block; overflow: visible; margin-bottom: var(--pl-space-2); font-size: 0.9375rem; }
  svg .label { fill: var(--pl-text); font-weight: 600; }
  svg .value { fill: var(--pl-text); }
  svg .bar { fill: var(--pl-accent); }
  /* Suppressed: an outline with a dashed edge, and the words beside it say so. */
  svg .bar.suppressed { fill: none; stroke: var(--pl-text-muted); stroke-width: 2; stroke-dasharray: 4 3; }
  tr.suppressed td { font-style: italic; }
`;
