// `npm audit` of the production dependencies, read strictly: a report with any high or critical
// finding fails, and so does an audit that could not be done (registry or audit endpoint unreachable,
// an answer that is not an audit report) — never a silent pass. Run directly, it prints the verdict
// and exits non-zero on failure (`npm run audit:production`).
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

export type AuditVerdict =
  | { ok: true; counts: Record<string, number> }
  | { ok: false; kind: 'findings'; counts: Record<string, number>; packages: string[]; message: string }
  | { ok: false; kind: 'unreachable'; message: string };

const BLOCKING = ['high', 'critical'] as const;

/** Interprets `npm audit --json` output. */
export function interpretAuditReport(stdout: string): AuditVerdict {
  let report: Record<string, unknown>;
  try {
    report = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    return { ok: false, kind: 'unreachable', message: `npm audit did not answer with JSON: ${stdout.slice(0, 200)}` };
  }
  const counts = (report['metadata'] as { vulnerabilities?: Record<string, number> } | undefined)?.vulnerabilities;
  if (report['error'] !== undefined || !counts || typeof counts !== 'object') {
    const status = report['statusCode'] ?? (report['error'] as { code?: string } | undefined)?.code ?? 'no status';
    const what = typeof report['message'] === 'string' ? report['message'] : JSON.stringify(report['error'] ?? report).slice(0, 200);
    return {
      ok: false, kind: 'unreachable',
      message: `npm audit could not be done, so the production dependencies are NOT known to be free of high/critical advisories (${status}: ${what})`,
    };
  }
  const vulns = (report['vulnerabilities'] ?? {}) as Record<string, { severity?: string }>;
  const packages = Object.entries(vulns).filter(([, v]) => BLOCKING.includes(v.severity as never)).map(([name, v]) => `${name} (${v.severity})`);
  const blocking = BLOCKING.reduce((n, level) => n + (counts[level] ?? 0), 0);
  if (blocking > 0 || packages.length > 0) {
    return { ok: false, kind: 'findings', counts, packages, message: `npm audit found ${blocking} high or critical advisories in production dependencies: ${packages.join(', ')}` };
  }
  return { ok: true, counts };
}

/** Runs `npm audit --omit=dev --audit-level=high --json` in the repository root (bounded in time). */
export function auditProductionDependencies(cwd = resolve(import.meta.dirname, '../..'), timeoutMs = 120_000): Promise<AuditVerdict> {
  return new Promise((done) => {
    execFile('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { cwd, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout) => {
      // npm audit exits non-zero both for findings and for failures; the JSON tells them apart.
      if (err && (err as { killed?: boolean }).killed) {
        done({ ok: false, kind: 'unreachable', message: `npm audit did not finish within ${timeoutMs / 1000} s` });
        return;
      }
      done(interpretAuditReport(stdout));
    });
  });
}

if (import.meta.main) {
  const verdict = await auditProductionDependencies();
  if (verdict.ok) {
    process.stdout.write(`npm audit (production dependencies): no high or critical advisories ${JSON.stringify(verdict.counts)}\n`);
  } else {
    console.error(verdict.message);
    process.exitCode = 1;
  }
}
