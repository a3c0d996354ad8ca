// GET /v1/policy tells clients the on-device risk detector's settings, defaults filled in, so the
// detector's thresholds come from the institution's policy and not from the client's code.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RISK_DETECTION } from '../../../protocol/src/policy.ts';
import { samplePolicy, testBridge, SERVER } from '../test-fixture.ts';

const auth = (token: string): RequestInit => ({ headers: { Authorization: `Bearer ${token}` } });

describe('GET /v1/policy: risk detection', () => {
  it('gives the defaults when the policy says nothing about risk detection', async () => {
    const b = testBridge();
    const res = await b.app.request('/v1/policy', auth(await b.signIn(`@s1:${SERVER}`)));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { risk_detection: unknown }).risk_detection).toEqual(DEFAULT_RISK_DETECTION);
  });

  it("passes on the policy's level and thresholds, filling in what it leaves out", async () => {
    const policy = samplePolicy();
    policy.risk_detection = { enabled: true, flag_at: 'critical', thresholds: { elevated: 0.2, high: 0.5, critical: 0.7 } };
    const b = testBridge({ policy });
    const res = await b.app.request('/v1/policy', auth(await b.signIn(`@s1:${SERVER}`)));
    expect(((await res.json()) as { risk_detection: unknown }).risk_detection).toEqual({ enabled: true, flag_at: 'critical', thresholds: { elevated: 0.2, high: 0.5, critical: 0.7 } });

    const off = samplePolicy();
    off.risk_detection = { enabled: false };
    const b2 = testBridge({ policy: off });
    const res2 = await b2.app.request('/v1/policy', auth(await b2.signIn(`@s1:${SERVER}`)));
    expect(((await res2.json()) as { risk_detection: unknown }).risk_detection).toEqual({ ...DEFAULT_RISK_DETECTION, enabled: false });
  });
});
