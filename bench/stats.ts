// Small statistics and output helpers shared by the benchmarks.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Names one `npm run bench` (bench/run.ts passes it down), so appended parts join only their own run. */
const RUN_ID = process.env['PEERLINE_BENCH_RUN'] ?? `single-${process.pid}`;

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

/**
 * Prints the figures and writes them to bench/results/`file`. With `append`, the figures are added to
 * those the file already holds from an earlier benchmark of the same run (same `runId`), e.g. the
 * signed-in web client figures after the first-screen ones in web-client.json.
 */
export function report(file: string, title: string, figures: Figure[], extra: Record<string, unknown> = {}, opts: { append?: boolean } = {}): void {
  const dir = resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, file);
  let out: Record<string, unknown> = { title, date: new Date().toISOString(), node: process.version, runId: RUN_ID, figures, ...extra };
  if (opts.append) {
    try {
      const prev = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> & { figures: Figure[] };
      if (prev['runId'] === RUN_ID) out = { ...prev, ...extra, figures: [...prev.figures, ...figures] };
    } catch { /* no earlier part in this run: the file starts with these figures */ }
  }
  writeFileSync(path, JSON.stringify(out, null, 2));
  const rows = figures.map((f) => [f.name, `${f.value} ${f.unit}`, f.floor ?? '', f.reference ?? '']);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['figure', 'value', 'floor', 'reference'][i]!.length));
  const line = (r: string[]): string => '| ' + r.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  process.stdout.write(`\n${title}\n${line(['figure', 'value', 'floor', 'reference'])}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n(written to bench/results/${file})\n`);
}
