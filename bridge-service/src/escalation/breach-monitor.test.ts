import { describe, expect, it } from 'vitest';
import type { SeverityLevel } from '../../../protocol/src/common-schemas.ts';
import { SERVER } from '../test-fixture.ts';
import { StudentDevice, escalationTestBridge, type EscalationTestBridge } from './test-fixture.ts';

const ADMIN = `@admin:${SERVER}`;
const COUNSELLOR = `@coun:${SERVER}`;
const MIN = 60_000;

async function escalate(b: EscalationTestBridge, n: number, severity: SeverityLevel): Promise<{ id: string; token: string; receiptId: string }> {
  const student = await StudentDevice.create(`@s-${n}:${SERVER}`);
  const token = await b.signIn(student.userId);
  await b.call('POST', '/v1/consent/keys', token, { public_key: student.publicKey });
  const peer = b.hs.peerRoom(student.userId);
  const receipt = await student.receipt({ roomId: peer, now: b.clock.now(), severity });
  const res = await b.call<{ escalation_id: string }>('POST', '/v1/escalations', token, { receipt: await student.sign(receipt), room_id: peer, scope: receipt.scope });
  expect(res.status).toBe(200);
  return { id: res.body.escalation_id, token, receiptId: receipt.receipt_id };
}

async function world(): Promise<EscalationTestBridge> {
  const b = escalationTestBridge();
  await b.services.roster.putCounsellor(ADMIN, COUNSELLOR, {});
  return b;
}

describe('response-time breaches (policy targets: critical 5, high 30, medium 240, low 1440 minutes)', () => {
  it('raises an unclaimed escalation once when its target passes: a row for the admin, an audit entry and a metric', async () => {
    const b = await world();
    const monitor = b.escalation.parts.breaches;
    const e = await escalate(b, 1, 'critical');
    b.clock.advance(4 * MIN);
    expect(await monitor.runOnce()).toEqual([]);
    b.clock.advance(2 * MIN);
    const raised = await monitor.runOnce();
    expect(raised).toEqual([expect.objectContaining({ escalation_id: e.id, severity: 'critical' })]);
    expect(await monitor.runOnce()).toEqual([]);
    expect(b.escalation.parts.metrics.breaches.get({ severity: 'critical' })).toBe(1);
    const audited = (await b.services.audit.latest(10)).filter((x) => x.action === 'escalation.response_breached');
    expect(audited).toHaveLength(1);
    expect(audited[0]!.details).toMatchObject({ severity: 'critical', target_minutes: 5, claimed: false });
    const admin = await b.signIn(ADMIN);
    const list = await b.call<{ breaches: { escalation_id: string; status: string; minutes_late: number }[] }>('GET', '/v1/admin/escalations/breaches', admin);
    expect(list.body.breaches).toEqual([expect.objectContaining({ escalation_id: e.id, status: 'queued', minutes_late: 1 })]);
    expect(b.services.metrics.render()).toMatch(/bridge_escalation_response_breaches_total\{severity="critical"\} 1/);
  });

  it('raises a late claim at the claim, without waiting for the job', async () => {
    const b = await world();
    const e = await escalate(b, 1, 'high');
    b.clock.advance(31 * MIN);
    const coun = await b.signIn(COUNSELLOR);
    expect((await b.call('POST', `/v1/escalations/${e.id}/claim`, coun)).status).toBe(200);
    expect(b.escalation.parts.metrics.breaches.get({ severity: 'high' })).toBe(1);
    expect(await b.escalation.parts.breaches.runOnce()).toEqual([]);
    const claimed = (await b.services.audit.latest(20)).find((x) => x.action === 'escalation.claimed')!;
    expect(claimed.details).toMatchObject({ within_target: false, response_ms: 31 * MIN });
  });

  it('raises nothing for an escalation claimed in time, or withdrawn before its target', async () => {
    const b = await world();
    const coun = await b.signIn(COUNSELLOR);
    const inTime = await escalate(b, 1, 'critical');
    const withdrawn = await escalate(b, 2, 'critical');
    b.clock.advance(4 * MIN);
    expect((await b.call('POST', `/v1/escalations/${inTime.id}/claim`, coun)).status).toBe(200);
    expect((await b.call('POST', `/v1/consent/receipts/${withdrawn.receiptId}/withdraw`, withdrawn.token)).status).toBe(200);
    b.clock.advance(24 * 60 * MIN);
    expect(await b.escalation.parts.breaches.runOnce()).toEqual([]);
    expect(b.escalation.parts.metrics.breaches.get({ severity: 'critical' })).toBe(0);
  });

  it('runs as part of the module\'s periodic job', async () => {
    const b = await world();
    await escalate(b, 1, 'low');
    b.clock.advance(1441 * MIN);
    await b.escalation.parts.tick();
    expect(b.escalation.parts.metrics.breaches.get({ severity: 'low' })).toBe(1);
  });
});
