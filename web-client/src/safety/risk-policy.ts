// What the institution's policy says about the on-device risk detector (GET /v1/policy →
// risk_detection): whether it runs, its score thresholds, and from which level the client shows
// crisis resources and offers a counsellor. Read defensively: a missing or malformed answer means
// the defaults, which are the policy schema's (protocol/src/policy.ts DEFAULT_RISK_DETECTION).
import type { RiskDetection, RiskFlagLevel } from '../../../protocol/src/policy.ts';
import { DEFAULT_RISK_THRESHOLDS, type RiskLevel, type RiskThresholds } from './risk-detector.ts';

export interface RiskSettings {
  enabled: boolean;
  /** From this level on, crisis resources appear and a counsellor is offered (the consent dialog). */
  flagAt: RiskFlagLevel;
  thresholds: Required<RiskThresholds>;
}

export const DEFAULT_RISK_SETTINGS: Readonly<RiskSettings> = { enabled: true, flagAt: 'high', thresholds: { ...DEFAULT_RISK_THRESHOLDS } };

const LEVEL_RANK: Record<RiskLevel, number> = { none: 0, elevated: 1, high: 2, critical: 3 };

const score = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 1;

/** The settings from the bridge's public policy; anything missing or out of shape falls back to the defaults. */
export function riskSettingsFrom(policy: { risk_detection?: Partial<RiskDetection> | null } | null | undefined): RiskSettings {
  const r = policy?.risk_detection;
  if (!r || typeof r !== 'object') return { ...DEFAULT_RISK_SETTINGS, thresholds: { ...DEFAULT_RISK_SETTINGS.thresholds } };
  const t = r.thresholds;
  const thresholds = t && score(t.elevated) && score(t.high) && score(t.critical) && t.elevated <= t.high && t.high <= t.critical
    ? { elevated: t.elevated, high: t.high, critical: t.critical }
    : { ...DEFAULT_RISK_SETTINGS.thresholds };
  const flagAt = r.flag_at === 'elevated' || r.flag_at === 'high' || r.flag_at === 'critical' ? r.flag_at : DEFAULT_RISK_SETTINGS.flagAt;
  return { enabled: typeof r.enabled === 'boolean' ? r.enabled : DEFAULT_RISK_SETTINGS.enabled, flagAt, thresholds };
}

/** Whether a detector level reaches the policy's level for offering a counsellor. */
export function reachesFlag(level: RiskLevel, flagAt: RiskFlagLevel): boolean {
  return LEVEL_RANK[level] >= LEVEL_RANK[flagAt];
}
