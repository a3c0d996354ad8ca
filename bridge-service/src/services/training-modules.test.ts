import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ManualClock } from '../core/clock.ts';
import { memoryLogger } from '../logger.ts';
import { samplePolicy, writePolicyFile, SERVER } from '../test-fixture.ts';
import { listeningModule } from '../training/test-fixture.ts';
import { PolicyLoadError, PolicyService } from './policy.ts';

function service(file: string): PolicyService {
  return new PolicyService({ file, serverName: SERVER, clock: new ManualClock(), logger: memoryLogger(), pollMs: 0 });
}

/** A policy whose 'listening' module is taught from training/listening.yaml beside it. */
function policyWithModule(module: unknown): { file: string; moduleFile: string } {
  const doc = samplePolicy();
  doc.supporters.training.modules[0]!.file = 'training/listening.yaml';
  const file = writePolicyFile(doc);
  const moduleFile = join(dirname(file), 'training', 'listening.yaml');
  mkdirSync(dirname(moduleFile), { recursive: true });
  writeFileSync(moduleFile, typeof module === 'string' ? module : stringify(module));
  return { file, moduleFile };
}

describe('training modules loaded with the policy', () => {
  it('loads the module files the policy names, relative to the policy file', () => {
    const p = service(policyWithModule(listeningModule()).file);
    expect([...p.trainingModules().keys()]).toEqual(['listening']);
    expect(p.trainingModules().get('listening')).toMatchObject({ version: 2, title: 'Active listening' });
  });

  it('refuses to start on a bad module file, naming the module file and the path inside it', () => {
    const bad = { ...listeningModule(), version: 1, sections: [{ kind: 'text', heading: 'x' }] };
    let err: unknown;
    try {
      service(policyWithModule(bad).file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyLoadError);
    const problems = (err as PolicyLoadError).problems;
    expect(problems).toContainEqual({ path: '$.supporters.training.modules[0].file', message: expect.stringMatching(/^in training\/listening\.yaml at \$\.sections\[0\]: /) });
    // version 1 is below the policy's min_version 2
    expect(() => service(policyWithModule({ ...listeningModule(), version: 1 }).file)).toThrow(
      "at $.supporters.training.modules[0].file: in training/listening.yaml at $.version: expected at least the policy's min_version 2, found 1",
    );
    expect(() => service(policyWithModule('id: [unclosed\n').file)).toThrow(/in training\/listening\.yaml: expected a YAML document \(line \d+/);
  });

  it('refuses a policy naming a module file that is not there', () => {
    const doc = samplePolicy();
    doc.supporters.training.modules[1]!.file = 'training/safeguarding.yaml';
    expect(() => service(writePolicyFile(doc))).toThrow(/at \$\.supporters\.training\.modules\[1\]\.file: expected a readable training module file training\/safeguarding\.yaml: ENOENT/);
  });

  it('reloads a changed module file without a restart; a bad edit is rejected and the previous content stays', () => {
    const { file, moduleFile } = policyWithModule(listeningModule());
    const p = service(file);
    expect(p.reload()).toBe('unchanged');
    writeFileSync(moduleFile, stringify({ ...listeningModule(), version: 3, title: 'Active listening, revised' }));
    expect(p.reload()).toBe('applied');
    expect(p.trainingModules().get('listening')).toMatchObject({ version: 3, title: 'Active listening, revised' });
    expect(p.status().version).toBe(2);

    writeFileSync(moduleFile, stringify({ ...listeningModule(), version: 4, check: { pass_mark: 9, questions: listeningModule().check.questions } }));
    expect(p.reload()).toBe('rejected');
    expect(p.status().last_rejected?.problems).toEqual([
      { path: '$.supporters.training.modules[0].file', message: 'in training/listening.yaml at $.check.pass_mark: expected at most the number of questions (3), found 9' },
    ]);
    expect(p.reload()).toBe('unchanged'); // the same bad file is not re-reported
    expect(p.trainingModules().get('listening')?.version).toBe(3);
    // Fixing it applies it.
    writeFileSync(moduleFile, stringify({ ...listeningModule(), version: 4 }));
    expect(p.reload()).toBe('applied');
    expect(p.trainingModules().get('listening')?.version).toBe(4);
    expect(p.status().last_rejected).toBeNull();
  });
});
