import { writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ManualClock } from '../core/clock.ts';
import { memoryLogger } from '../logger.ts';
import { samplePolicy, writePolicyFile, SERVER } from '../test-fixture.ts';
import { PolicyLoadError, PolicyService } from './policy.ts';

function service(file: string, logger = memoryLogger()): PolicyService {
  return new PolicyService({ file, serverName: SERVER, clock: new ManualClock(), logger, debounceMs: 20, pollMs: 0 });
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('policy service', () => {
  it('refuses to start on an invalid policy, naming the file, the path and the expectation', () => {
    const doc = samplePolicy() as unknown as Record<string, Record<string, unknown>>;
    doc['matching']!['offer_timeout_seconds'] = 'soon';
    const file = writePolicyFile(doc);
    let err: unknown;
    try {
      service(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyLoadError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toContain('at $.matching.offer_timeout_seconds: expected a whole number from 10 to 3600 (seconds an offer waits for a supporter), found "soon"');
  });

  it('reports a YAML syntax error with its line', () => {
    const file = writePolicyFile('institution: {id: x\n  name: [unclosed\n');
    expect(() => service(file)).toThrow(/line \d+/);
  });

  it('refuses a policy written for another server name', () => {
    const doc = samplePolicy();
    doc.institution.server_name = 'elsewhere.example';
    expect(() => service(writePolicyFile(doc))).toThrow(/\$\.institution\.server_name: expected this bridge's server name "a\.example"/);
  });

  it('applies a valid edit on reload and tells its listeners who caused it', () => {
    const file = writePolicyFile();
    const p = service(file);
    const changes: { actor: string; version: number }[] = [];
    p.onChange((_policy, c) => changes.push(c));
    const doc = samplePolicy();
    doc.topics.push({ id: 'sleep', label: 'Sleep', needs_training: [] });
    writeFileSync(file, stringify(doc));
    expect(p.reload('@admin:a.example')).toBe('applied');
    expect(p.current().topics.map((t) => t.id)).toContain('sleep');
    expect(p.status().version).toBe(2);
    expect(changes).toEqual([expect.objectContaining({ actor: '@admin:a.example', version: 2 })]);
    expect(p.reload()).toBe('unchanged');
  });

  it('rejects an invalid edit, keeps the old policy, and exposes and logs the problems', () => {
    const file = writePolicyFile();
    const logger = memoryLogger();
    const p = service(file, logger);
    const doc = samplePolicy() as unknown as Record<string, unknown>;
    delete doc['rate_limits'];
    writeFileSync(file, stringify(doc));
    expect(p.reload()).toBe('rejected');
    expect(p.current().rate_limits.api_requests_per_minute).toBe(1000);
    expect(p.status().version).toBe(1);
    expect(p.status().last_rejected?.problems).toEqual([{ path: '$.rate_limits', message: 'is required' }]);
    expect(logger.lines.some((l) => l['msg'] === 'policy change rejected; the previous policy stays in force')).toBe(true);
    // Restoring the file in force clears the report.
    writeFileSync(file, stringify(samplePolicy()));
    expect(p.reload()).toBe('unchanged');
    expect(p.status().last_rejected).toBeNull();
  });

  it('picks up an edit through the file watcher, including an atomic replace by rename', async () => {
    const file = writePolicyFile();
    const p = service(file);
    p.watch();
    try {
      const doc = samplePolicy();
      doc.retention_days.peer = 7;
      writeFileSync(file, stringify(doc));
      await until(() => p.current().retention_days.peer === 7);
      doc.retention_days.peer = 8;
      const tmp = join(dirname(file), '.policy.yaml.tmp');
      writeFileSync(tmp, stringify(doc));
      renameSync(tmp, file);
      await until(() => p.current().retention_days.peer === 8);
      expect(p.status().version).toBe(3);
    } finally {
      p.stop();
    }
  });
});
