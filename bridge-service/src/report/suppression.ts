// Small-cell suppression for the evaluation report, after the figures' rule (figures-service.ts):
// every count under MIN_CELL_COUNT — zero included — and every median or p90 of fewer samples is
// suppressed. The report also prints totals (by week, by topic, for the period) and splits (matches
// = own + partner supporters), so a suppressed cell could be recovered by subtraction. Complementary
// suppression closes that: in every group "total = sum of parts" whose total is shown, the hidden
// parts either sum to zero (which tells of nobody), or there are at least two of them (counting a
// part that is never published, like "supporters without the module") holding together at least
// MIN_CELL_COUNT — else the smallest shown part is suppressed too, and so on until every group holds
// (a fixpoint: suppression only grows). Derived shares are shown only when both of their counts are.
import { MIN_CELL_COUNT } from '../figures/figures-service.ts';

import type { ReportCell } from '../../../protocol/src/program-report.ts';

export type { ReportCell };

interface Entry {
  cell: Omit<ReportCell, 'value' | 'suppressed'>;
  raw: number;
  suppressed: boolean;
}

interface Group {
  total: string;
  parts: string[];
  /** Values of parts that are never published (e.g. supporters without a module), but derivable. */
  unpublished: number[];
}

export const cellKey = (section: string, week: string, topic: string, measure: string): string => `${section}\u0000${week}\u0000${topic}\u0000${measure}`;

/** Cells as they are computed, then suppressed all at once by `cells()`. */
export class CellTable {
  private readonly entries = new Map<string, Entry>();
  private readonly groups: Group[] = [];
  private readonly derived: { key: string; compute: (get: (key: string) => number | null) => number | null }[] = [];

  private put(section: string, week: string, topic: string, measure: string, raw: number, suppressed: boolean): string {
    const key = cellKey(section, week, topic, measure);
    this.entries.set(key, { cell: { section, week, topic, measure }, raw, suppressed });
    return key;
  }

  /** A count: suppressed under the minimum. */
  count(section: string, week: string, topic: string, measure: string, n: number): string {
    return this.put(section, week, topic, measure, n, n < MIN_CELL_COUNT);
  }

  /** A statistic of `samples` facts (a median, a mean): suppressed when they are fewer than the minimum. */
  stat(section: string, week: string, topic: string, measure: string, value: number, samples: number): string {
    return this.put(section, week, topic, measure, value, samples < MIN_CELL_COUNT);
  }

  /** `total` is the sum of `parts` (cell keys) and of `unpublished` values. */
  group(total: string, parts: string[], unpublished: number[] = []): void {
    this.groups.push({ total, parts, unpublished });
  }

  /** A cell computed from other (already suppressed) cells; null from `compute` suppresses it. */
  derive(section: string, week: string, topic: string, measure: string, compute: (get: (key: string) => number | null) => number | null): void {
    const key = this.put(section, week, topic, measure, 0, true);
    this.derived.push({ key, compute });
  }

  private protect(): void {
    for (let changed = true; changed;) {
      changed = false;
      for (const g of this.groups) {
        const total = this.entries.get(g.total);
        if (!total || total.suppressed) continue;
        for (;;) {
          const parts = g.parts.map((k) => this.entries.get(k)).filter((e): e is Entry => e !== undefined);
          const hidden = parts.filter((p) => p.suppressed);
          const unpublished = g.unpublished.filter((v) => v > 0);
          const hiddenCount = hidden.length + unpublished.length;
          const residue = hidden.reduce((s, p) => s + p.raw, 0) + unpublished.reduce((s, v) => s + v, 0);
          // Hidden parts that sum to 0 tell of nobody; otherwise they must hold enough, and not alone.
          if (residue === 0) break;
          if (residue >= MIN_CELL_COUNT && (hiddenCount >= 2 || hidden.length === 0)) break;
          const shown = parts.filter((p) => !p.suppressed);
          if (shown.length === 0) {
            // Every part is hidden and still too little: the total would tell their sum.
            total.suppressed = true;
            changed = true;
            break;
          }
          shown.reduce((a, b) => (b.raw < a.raw ? b : a)).suppressed = true;
          changed = true;
        }
      }
    }
  }

  /** Every cell, suppressed: value null where it could tell about fewer than the minimum. */
  cells(): ReportCell[] {
    this.protect();
    const get = (key: string): number | null => {
      const e = this.entries.get(key);
      return e && !e.suppressed ? e.raw : null;
    };
    for (const d of this.derived) {
      const v = d.compute(get);
      const e = this.entries.get(d.key)!;
      if (v !== null && Number.isFinite(v)) { e.raw = v; e.suppressed = false; }
    }
    return [...this.entries.values()].map((e) => ({ ...e.cell, value: e.suppressed ? null : e.raw, suppressed: e.suppressed }));
  }
}
