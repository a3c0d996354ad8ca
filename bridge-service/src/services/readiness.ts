// Readiness: the bridge can do its work when its store answers, a valid policy is in force, and its
// homeserver is reachable. The homeserver check is cached briefly so probes do not hammer it.
import type { Store } from '../store/store.ts';
import type { PolicyService } from './policy.ts';
import type { HomeserverClient } from './homeserver-client.ts';

export interface ReadinessCheck {
  ok: boolean;
  detail?: string;
}

export interface Readiness {
  ready: boolean;
  checks: { store: ReadinessCheck; policy: ReadinessCheck; homeserver: ReadinessCheck };
}

export class ReadinessService {
  private readonly store: Store;
  private readonly policy: PolicyService;
  private readonly homeserver: Pick<HomeserverClient, 'versions'>;
  private readonly cacheMs: number;
  private hsCache: { at: number; check: ReadinessCheck } | null = null;

  constructor(opts: { store: Store; policy: PolicyService; homeserver: Pick<HomeserverClient, 'versions'>; cacheMs?: number }) {
    this.store = opts.store;
    this.policy = opts.policy;
    this.homeserver = opts.homeserver;
    this.cacheMs = opts.cacheMs ?? 2_000;
  }

  private async homeserverCheck(): Promise<ReadinessCheck> {
    if (this.hsCache && Date.now() - this.hsCache.at < this.cacheMs) return this.hsCache.check;
    let check: ReadinessCheck;
    try {
      await this.homeserver.versions();
      check = { ok: true };
    } catch (e) {
      check = { ok: false, detail: `homeserver unreachable: ${(e as Error).message}` };
    }
    this.hsCache = { at: Date.now(), check };
    return check;
  }

  async check(): Promise<Readiness> {
    let store: ReadinessCheck;
    try {
      await this.store.ping();
      store = { ok: true };
    } catch (e) {
      store = { ok: false, detail: (e as Error).message };
    }
    const st = this.policy.status();
    // A rejected edit does not make the bridge unready: the previous valid policy is in force.
    const policy: ReadinessCheck = st.last_rejected
      ? { ok: true, detail: `a newer version of ${st.file} was rejected; version ${st.version} stays in force` }
      : { ok: true };
    const homeserver = await this.homeserverCheck();
    return { ready: store.ok && policy.ok && homeserver.ok, checks: { store, policy, homeserver } };
  }
}
