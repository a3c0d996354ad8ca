// The training modules a policy names (`supporters.training.modules[].file`), read from the policy's
// folder and validated with the policy: a missing or invalid module file rejects the policy load or
// reload like any other policy error, naming the module file and the path inside it.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { InstitutionPolicy, PolicyProblem } from '../../../protocol/src/policy.ts';
import { validateTrainingModule, type TrainingModuleFile } from '../../../protocol/src/training.ts';

/** Module id → its validated content. Modules without a file are not in it. */
export type TrainingModules = ReadonlyMap<string, TrainingModuleFile>;

export interface TrainingSource { file: string; text: string }

export class TrainingModulesError extends Error {
  readonly problems: PolicyProblem[];
  constructor(problems: PolicyProblem[]) {
    super(problems.map((p) => `at ${p.path}: ${p.message}`).join('\n'));
    this.problems = problems;
  }
}

/**
 * Reads and validates every module file of `policy`. `sources` receives what was read (also when a
 * later file fails), so a reload can tell a changed module file from an unchanged one.
 * Throws TrainingModulesError with one problem per fault, each at the policy path naming the file.
 */
export function loadTrainingModules(policy: InstitutionPolicy, policyFile: string, sources: TrainingSource[] = []): TrainingModules {
  const out = new Map<string, TrainingModuleFile>();
  const problems: PolicyProblem[] = [];
  policy.supporters.training.modules.forEach((m, i) => {
    if (m.file === undefined) return;
    const at = `$.supporters.training.modules[${i}].file`;
    const file = resolve(dirname(policyFile), m.file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      problems.push({ path: at, message: `expected a readable training module file ${m.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      return;
    }
    sources.push({ file, text });
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (e) {
      const where = e instanceof YAMLParseError && e.linePos ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
      problems.push({ path: at, message: `in ${m.file}: expected a YAML document${where}: ${(e as Error).message.split('\n')[0]}` });
      return;
    }
    const v = validateTrainingModule(doc, { id: m.id, minVersion: m.min_version });
    if (!v.ok) {
      for (const p of v.problems) problems.push({ path: at, message: `in ${m.file} at ${p.path}: ${p.message}` });
      return;
    }
    out.set(m.id, v.module);
  });
  if (problems.length > 0) throw new TrainingModulesError(problems);
  return out;
}
