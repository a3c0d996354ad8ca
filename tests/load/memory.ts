// Resident memory (VmRSS from /proc/<pid>/status) of each server process, sampled while the load runs.
import { readFileSync } from 'node:fs';

export interface MemoryFigures { peakMb: number; meanMb: number; lastMb: number; samples: number; cpuSeconds: number }

/** CPU time (user + system) a process has used so far, from /proc/<pid>/stat (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export class MemorySampler {
  private readonly samples = new Map<string, number[]>();
  private readonly cpu = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly pids: Record<string, () => number>;

  /** `pids`: process name → its current pid (a restarted process keeps its name). */
  constructor(pids: Record<string, () => number>) {
    this.pids = pids;
    for (const name of Object.keys(pids)) this.samples.set(name, []);
  }

  sample(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      const mb = rssMb(pid());
      if (Number.isFinite(mb)) this.samples.get(name)!.push(mb);
      const cpu = cpuSeconds(pid());
      if (Number.isFinite(cpu)) this.cpu.set(name, cpu);
    }
  }

  start(everyMs: number): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  figures(): Record<string, MemoryFigures> {
    return Object.fromEntries([...this.samples].map(([name, s]) => [name, {
      peakMb: s.length ? Math.max(...s) : NaN, meanMb: s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN,
      lastMb: s.at(-1) ?? NaN, samples: s.length, cpuSeconds: this.cpu.get(name) ?? NaN,
    }]));
  }
}
