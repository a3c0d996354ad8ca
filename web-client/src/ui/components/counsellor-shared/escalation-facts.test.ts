/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';
import { ESCALATION_OUTCOMES } from '../../../bridge/counsellor-api.ts';
import { formatDuration, isOverdue, queueChanges, sortQueue, waitingNow } from './escalation-facts.ts';
import { ME, queueItem } from './queue-item.fixture.ts';

const bridgeSource = import.meta.glob<string>('../../../../../bridge-service/src/escalation/escalation-service.ts', { query: '?raw', import: 'default', eager: true });

describe('escalation facts', () => {
  it('orders the queue by severity, then by the longest wait', () => {
    const a = { ...queueItem({ id: 'esc_low', severity: 'low' }), created_ts: 1 };
    const b = { ...queueItem({ id: 'esc_high-late', severity: 'high' }), created_ts: 5 };
    const c = { ...queueItem({ id: 'esc_high-early', severity: 'high' }), created_ts: 2 };
    const d = { ...queueItem({ id: 'esc_crit', severity: 'critical' }), created_ts: 9 };
    expect(sortQueue([a, b, c, d]).map((i) => i.escalation_id)).toEqual(['esc_crit', 'esc_high-early', 'esc_high-late', 'esc_low']);
  });

  it('keeps a queued escalation waiting and is overdue past the target; a claimed one stopped waiting at its claim', () => {
    const queued = queueItem({ waitingMin: 14, targetMin: 15 });
    expect(isOverdue(queued, 0)).toBe(false);
    expect(waitingNow(queued, 2 * 60_000)).toBe(16 * 60_000);
    expect(isOverdue(queued, 2 * 60_000)).toBe(true);
    const claimed = queueItem({ waitingMin: 20, targetMin: 15, claimedBy: ME });
    expect(waitingNow(claimed, 60 * 60_000)).toBe(20 * 60_000);
    expect(isOverdue(claimed, 0)).toBe(true);
  });

  it('says durations in whole minutes and hours, in the reader\'s language', () => {
    expect(formatDuration(30_000, 'en')).toBe('1 min');
    expect(formatDuration(12 * 60_000, 'en')).toBe('12 min');
    expect(formatDuration(65 * 60_000, 'en')).toBe('1 hr 5 min');
    expect(formatDuration(120 * 60_000, 'en')).toBe('2 hr');
    expect(formatDuration(65 * 60_000, 'de')).toBe('1 Std. 5 Min.');
  });

  it('tells which escalations arrived and which left between two fetches', () => {
    const a = queueItem({ id: 'esc_a' });
    const b = queueItem({ id: 'esc_b' });
    const c = queueItem({ id: 'esc_c' });
    const { arrived, left } = queueChanges([a, b], [b, c]);
    expect(arrived.map((i) => i.escalation_id)).toEqual(['esc_c']);
    expect(left.map((i) => i.escalation_id)).toEqual(['esc_a']);
  });

  it('offers exactly the bridge\'s outcome codes', () => {
    const source = Object.values(bridgeSource)[0]!;
    const list = /ESCALATION_OUTCOMES = \[([^\]]*)\]/.exec(source)![1]!;
    expect([...list.matchAll(/'([a-z_]+)'/g)].map((m) => m[1])).toEqual([...ESCALATION_OUTCOMES]);
  });
});
