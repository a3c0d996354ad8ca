// The institution policy as the bridge lives with it: loaded and validated at start (an invalid file
// stops the bridge), then watched; a changed file is re-validated and swapped in atomically, while
// an invalid new version is rejected, logged, kept for the admin endpoint, and the old one stays.
import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { validatePolicy, type InstitutionPolicy, type PolicyProblem } from '../../../protocol/src/policy.ts';
import type { Clock } from '../core/clock.ts';
import { loadTrainingModules, TrainingModulesError, type TrainingModules, type TrainingSource } from './training-modules.ts';
import type { Logger } from '../logger.ts';

export class PolicyLoadError extends Error {
  readonly file: string;
  readonly problems: PolicyProblem[];

  constructor(file: string, problems: PolicyProblem[]) {
    super(`policy ${file} is invalid:\n${problems.map((p) => `  at ${p.path}: ${p.message}`).join('\n')}`);
    this.file = file;
    this.problems = problems;
  }
}

export interface PolicyStatus {
  file: string;
  /** SHA-256 of the file content in force. */
  sha256: string;
  loaded_ts: number;
  /** How many versions were applied since start (1 = the one read at start). */
  version: number;
  /** The last rejected version, while it is still what the file holds. */
  last_rejected: { ts: number; sha256: string; problems: PolicyProblem[] } | null;
}

export type ReloadResult = 'applied' | 'unchanged' | 'rejected';

export interface PolicyChange {
  /** Who caused the reload: an admin's user id, or `system` for the file watcher. */
  actor: string;
  sha256: string;
  version: number;
}

/** Parses and validates policy text; `expectServerName` pins the institution to this bridge. */
export function parsePolicy(text: string, file: string, expectServerName?: string): InstitutionPolicy {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
    throw new PolicyLoadError(file, [{ path: '$', message: `expected a YAML document${where}: ${(e as Error).message.split('\n')[0]}` }]);
  }
  const v = validatePolicy(doc);
  if (!v.ok) throw new PolicyLoadError(file, v.problems);
  if (expectServerName !== undefined && v.policy.institution.server_name !== expectServerName) {
    throw new PolicyLoadError(file, [{
      path: '$.institution.server_name',
      message: `expected this bridge's server name ${JSON.stringify(expectServerName)}, found ${JSON.stringify(v.policy.institution.server_name)}`,
    }]);
  }
  return v.policy;
}

/** The policy with its training module files (services/training-modules.ts), and a fingerprint of all it read. */
export function parsePolicyWithTraining(text: string, file: string, expectServerName?: string): { policy: InstitutionPolicy; training: TrainingModules; fingerprint: string } {
  const sources: TrainingSource[] = [];
  try {
    const policy = parsePolicy(text, file, expectServerName);
    const training = loadTrainingModules(policy, file, sources);
    return { policy, training, fingerprint: fingerprintOf(text, sources) };
  } catch (e) {
    if (e instanceof TrainingModulesError) throw Object.assign(new PolicyLoadError(file, e.problems), { fingerprint: fingerprintOf(text, sources) });
    throw e;
  }
}

/** The policy text's hash, or with module files, the hash of the text and every module file read. */
function fingerprintOf(text: string, sources: TrainingSource[]): string {
  if (sources.length === 0) return sha256(text);
  return sha256([text, ...sources.flatMap((s) => [s.file, s.text])].join('\0'));
}

export class PolicyService {
  readonly file: string;
  private readonly serverName: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly debounceMs: number;
  private policy: InstitutionPolicy;
  private training: TrainingModules;
  /** What the policy in force was read from (its text and module files), and what was last rejected. */
  private fingerprint: string;
  private rejectedFingerprint: string | null = null;
  private state: PolicyStatus;
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private poller: NodeJS.Timeout | null = null;
  private readonly pollMs: number;
  private readonly changeListeners: ((p: InstitutionPolicy, change: PolicyChange) => void)[] = [];
  private readonly reloadListeners: ((r: ReloadResult) => void)[] = [];

  /** Reads and validates the file; throws PolicyLoadError (the bridge does not start) when invalid. */
  constructor(opts: { file: string; serverName: string; clock: Clock; logger: Logger; debounceMs?: number; pollMs?: number }) {
    this.file = opts.file;
    this.serverName = opts.serverName;
    this.clock = opts.clock;
    this.logger = opts.logger.child({ component: 'policy' });
    this.debounceMs = opts.debounceMs ?? 150;
    this.pollMs = opts.pollMs ?? 5_000;
    const text = this.read();
    const loaded = parsePolicyWithTraining(text, this.file, this.serverName);
    this.policy = loaded.policy;
    this.training = loaded.training;
    this.fingerprint = loaded.fingerprint;
    this.state = { file: this.file, sha256: sha256(text), loaded_ts: this.clock.now(), version: 1, last_rejected: null };
  }

  private read(): string {
    try {
      return readFileSync(this.file, 'utf8');
    } catch (e) {
      throw new PolicyLoadError(this.file, [{ path: '$', message: `expected a readable file: ${(e as Error).message}` }]);
    }
  }

  current(): InstitutionPolicy {
    return this.policy;
  }

  /** The training modules taught in the app, validated with the policy in force (id → content). */
  trainingModules(): TrainingModules {
    return this.training;
  }

  status(): PolicyStatus {
    return this.state;
  }

  /** Called with each newly applied policy. */
  onChange(fn: (p: InstitutionPolicy, change: PolicyChange) => void): void {
    this.changeListeners.push(fn);
  }

  /** Called after each reload attempt with its result (metrics). */
  onReload(fn: (r: ReloadResult) => void): void {
    this.reloadListeners.push(fn);
  }

  /** Re-reads the file now. An invalid version is rejected and the current one stays. */
  reload(actor = 'system'): ReloadResult {
    const result = this.tryReload(actor);
    if (result !== 'unchanged') for (const fn of this.reloadListeners) fn(result);
    return result;
  }

  private tryReload(actor: string): ReloadResult {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      // Editors replace files by rename; a moment without the file is not a new version.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'unchanged';
      text = '';
    }
    const hash = sha256(text);
    // Module files count too: a changed module file is a new version of the policy.
    let loaded: ReturnType<typeof parsePolicyWithTraining> | null = null;
    let rejected: PolicyLoadError | null = null;
    try {
      loaded = parsePolicyWithTraining(text, this.file, this.serverName);
    } catch (e) {
      if (!(e instanceof PolicyLoadError)) throw e;
      rejected = e;
    }
    const fingerprint = loaded?.fingerprint ?? (rejected as PolicyLoadError & { fingerprint?: string }).fingerprint ?? hash;
    if (fingerprint === this.fingerprint) {
      // Back to the version in force: an earlier rejection no longer describes the file.
      this.state = { ...this.state, last_rejected: null };
      this.rejectedFingerprint = null;
      return 'unchanged';
    }
    if (fingerprint === this.rejectedFingerprint) return 'unchanged';
    if (!loaded) {
      const e = rejected!;
      this.rejectedFingerprint = fingerprint;
      this.state = { ...this.state, last_rejected: { ts: this.clock.now(), sha256: hash, problems: e.problems } };
      this.logger.error('policy change rejected; the previous policy stays in force', {
        file: this.file, problems: e.problems.map((p) => `${p.path}: ${p.message}`),
      });
      return 'rejected';
    }
    const next = loaded.policy;
    this.policy = next;
    this.training = loaded.training;
    this.fingerprint = fingerprint;
    this.rejectedFingerprint = null;
    this.state = { file: this.file, sha256: hash, loaded_ts: this.clock.now(), version: this.state.version + 1, last_rejected: null };
    this.logger.info('policy reloaded', { file: this.file, version: this.state.version, sha256: hash });
    for (const fn of this.changeListeners) {
      try {
        fn(next, { actor, sha256: hash, version: this.state.version });
      } catch (e) {
        this.logger.error('policy change listener failed', { error: (e as Error).message });
      }
    }
    return 'applied';
  }

  /**
   * Watches the file's directory (editors and deploy tools replace files by rename), debounced so a
   * write in several chunks is read once; a slow poll backs it up where file events do not arrive
   * (some container bind mounts).
   */
  watch(): void {
    if (this.watcher) return;
    const name = basename(this.file);
    const safeReload = (): void => {
      try {
        this.reload();
      } catch (e) {
        this.logger.error('policy reload failed', { error: (e as Error).message });
      }
    };
    this.watcher = watch(dirname(this.file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        safeReload();
      }, this.debounceMs);
    });
    this.watcher.on('error', (e) => this.logger.error('policy watcher failed', { error: e.message }));
    if (this.pollMs > 0) {
      this.poller = setInterval(safeReload, this.pollMs);
      this.poller.unref();
    }
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
