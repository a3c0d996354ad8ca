// Small statistics and output helpers shared by the benchmarks.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const median = (v: number[]): number => percentile(v, 50);

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Resident set size of a process in MB, from /proc. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** The floor, for the table: e.g. '<= 20'. */
  floor?: string;
  reference?: string;
}

export function report(file: string, title: string, figures: Figure[], extra: Record<string, unknown> = {}): void {
  const dir = resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), JSON.stringify({ title, date: new Date().toISOString(), node: process.version, figures, ...extra }, null, 2));
  const rows = figures.map((f) => [f.name, `${f.value} ${f.unit}`, f.floor ?? '', f.reference ?? '']);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['figure', 'value', 'floor', 'reference'][i]!.length));
  const line = (r: string[]): string => '| ' + r.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  process.stdout.write(`\n${title}\n${line(['figure', 'value', 'floor', 'reference'])}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n(written to bench/results/${file})\n`);
}
