import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ALL_CORRECT, listeningModule, trainingFixture } from './test-fixture.ts';
import type { TrainingAttemptResult, TrainingContent, TrainingSummary } from './training-service.ts';

// The manual clock starts on Monday 2026-01-12, 10:00 UTC (within the sample's support hours).
const SAFE = { module: 'safeguarding', version: 1, completed: '2025-09-01' };
const LISTEN_VALID = { module: 'listening', version: 2, completed: '2025-06-01' };
const LISTEN_EXPIRED = { module: 'listening', version: 2, completed: '2024-12-01' };
const LISTEN_OLD = { module: 'listening', version: 1, completed: '2025-10-01' };

type Err = { errcode: string; error: string; current_version?: number };
type Availability = { qualified_topics: string[]; blocked_topics: { topic: string; not_on_roster: boolean; training: { module: string; label: string; status: string; expires: string | null }[] }[] };

describe('training in the app', () => {
  it('lists every module of the policy with the supporter\'s standing, expiry and the topics it unlocks', async () => {
    const f = trainingFixture();
    const valid = await f.supporter('sup-1', [SAFE, LISTEN_VALID]);
    const list = await f.api<{ modules: TrainingSummary[] }>('GET', '/v1/training', valid.token);
    expect(list.status).toBe(200);
    const byId = new Map(list.body.modules.map((m) => [m.id, m]));
    expect(list.body.modules.map((m) => m.id)).toEqual(['safeguarding', 'listening', 'mhfa']); // required first
    expect(byId.get('listening')).toMatchObject({
      in_app: true, title: 'Active listening', version: 2, min_version: 2, status: 'valid', completed: '2025-06-01', completed_version: 2,
      expires: '2026-06-01', required: false, topics: ['exam-stress', 'low-mood'], newer_version: false,
    });
    expect(byId.get('safeguarding')).toMatchObject({ in_app: false, required: true, status: 'valid', expires: '2026-09-01' });
    expect(byId.get('mhfa')).toMatchObject({ status: 'missing', completed: null, expires: null, topics: ['low-mood'] });

    const expired = await f.supporter('sup-2', [SAFE, LISTEN_EXPIRED]);
    const e = (await f.api<{ modules: TrainingSummary[] }>('GET', '/v1/training', expired.token)).body.modules.find((m) => m.id === 'listening');
    expect(e).toMatchObject({ status: 'expired', expires: '2025-12-01' });
    const old = await f.supporter('sup-3', [SAFE, LISTEN_OLD]);
    expect((await f.api<{ modules: TrainingSummary[] }>('GET', '/v1/training', old.token)).body.modules.find((m) => m.id === 'listening'))
      .toMatchObject({ status: 'outdated', completed_version: 1 });
    // Only supporters have training.
    const student = await f.student('stu-1');
    expect((await f.api('GET', '/v1/training', student.token)).status).toBe(403);
  });

  it('sends the content with scenario feedback but never which answers of the check are correct', async () => {
    const f = trainingFixture();
    const s = await f.supporter('sup-1', [SAFE]);
    const res = await f.api<TrainingContent>('GET', '/v1/training/listening', s.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'listening', version: 2, title: 'Active listening', check: { pass_mark: 2 } });
    expect(res.body.sections[1]).toMatchObject({ kind: 'scenario', choices: [{ good: false, feedback: 'Advice too early.' }, { good: true }] });
    expect(res.body.check.questions.map((q) => q.multiple)).toEqual([false, true, false]);
    expect(res.body.check.questions[0]!.choices).toEqual([{ text: 'Did you sleep?' }, { text: 'What has this week been like?' }]);
    expect(JSON.stringify(res.body)).not.toContain('correct');
    // A module taught elsewhere, and one the policy does not know.
    expect((await f.api<Err>('GET', '/v1/training/safeguarding', s.token)).status).toBe(404);
    expect((await f.api<Err>('GET', '/v1/training/knitting', s.token)).status).toBe(404);
  });

  it('grades an attempt on the bridge; a pass writes the roster record with its expiry and an audit entry with the score', async () => {
    const f = trainingFixture();
    const s = await f.supporter('sup-1', [SAFE, LISTEN_EXPIRED]);
    const fail = await f.api<TrainingAttemptResult>('POST', '/v1/training/listening/attempts', s.token, { version: 2, answers: [[0], [0], [0]] });
    expect(fail.status).toBe(200);
    // A failed attempt says the score, not which answers were right (no passing by trial and error).
    expect(fail.body).toMatchObject({ score: 1, total: 3, pass_mark: 2, passed: false, questions: [] });
    expect(fail.body.training.status).toBe('expired');
    expect((await f.services.roster.supporter(s.userId)).training).toContainEqual(expect.objectContaining({ completed: '2024-12-01' }));
    expect((await f.services.audit.latest(20)).filter((e) => e.action === 'roster.training.complete')).toEqual([]);

    const pass = await f.api<TrainingAttemptResult>('POST', '/v1/training/listening/attempts', s.token, { version: 2, answers: ALL_CORRECT });
    expect(pass.body).toMatchObject({ score: 3, passed: true, questions: [{ correct: true }, { correct: true }, { correct: true }] });
    expect(pass.body.training).toMatchObject({ status: 'valid', completed: '2026-01-12', expires: '2027-01-12', completed_version: 2 });
    const record = await f.services.roster.supporter(s.userId);
    expect(record.training.filter((t) => t.module === 'listening')).toEqual([{ module: 'listening', version: 2, completed: '2026-01-12', expires: '2027-01-12', score: 100 }]);
    expect(record.training).toContainEqual({ ...SAFE, expires: null });
    const audit = (await f.services.audit.latest(20)).filter((e) => e.action === 'roster.training.complete');
    expect(audit).toEqual([expect.objectContaining({
      actor: s.userId, subject: s.userId,
      details: { via: 'app', score: 3, total: 3, pass_mark: 2, module: 'listening', version: 2, completed: '2026-01-12', expires: '2027-01-12' },
    })]);
    expect((await f.services.audit.verify()).ok).toBe(true);
    // An admin's later edit that lists the completion again keeps its score.
    await f.services.roster.putSupporter('@admin:a.example', s.userId, {
      topics: record.topics, training: record.training.map(({ module, version, completed, expires }) => ({ module, version, completed, expires })),
    });
    expect((await f.services.roster.supporter(s.userId)).training.find((t) => t.module === 'listening')?.score).toBe(100);
  });

  it('refuses answers for a stale version with a clear errcode, and answers that do not fit the check', async () => {
    const f = trainingFixture();
    const s = await f.supporter('sup-1', [SAFE]);
    const stale = await f.api<Err>('POST', '/v1/training/listening/attempts', s.token, { version: 1, answers: ALL_CORRECT });
    expect(stale).toMatchObject({ status: 409, body: { errcode: 'ORG.PEERLINE.TRAINING_VERSION_STALE', current_version: 2 } });
    expect((await f.api<Err>('POST', '/v1/training/listening/attempts', s.token, { version: 2, answers: [[1], [0]] })).body.errcode).toBe('M_INVALID_PARAM');
    expect((await f.api<Err>('POST', '/v1/training/listening/attempts', s.token, { version: 2, answers: [[1], [0, 2], [5]] })).status).toBe(400);
    expect((await f.api<Err>('POST', '/v1/training/listening/attempts', s.token, { version: 2, answers: [[1], [0, 0], [0]] })).status).toBe(400);
    expect((await f.api<Err>('POST', '/v1/training/listening/attempts', s.token, { version: 2 })).status).toBe(400);

    // The institution publishes version 3 and reloads: answers for version 2 are now stale.
    writeFileSync(f.moduleFile, stringify({ ...listeningModule(), version: 3 }));
    expect(f.services.policy.reload('@admin:a.example')).toBe('applied');
    const after = await f.api<Err>('POST', '/v1/training/listening/attempts', s.token, { version: 2, answers: ALL_CORRECT });
    expect(after).toMatchObject({ status: 409, body: { errcode: 'ORG.PEERLINE.TRAINING_VERSION_STALE', current_version: 3 } });
    expect((await f.services.roster.supporter(s.userId)).training.some((t) => t.module === 'listening')).toBe(false);
  });

  it('does not offer a request to a supporter whose module expired and tells them why; passing it again lets requests reach them', async () => {
    const f = trainingFixture();
    const sup = await f.supporter('sup-1', [SAFE, LISTEN_EXPIRED], ['exam-stress', 'low-mood']);
    const av = await f.api<Availability>('PUT', '/v1/supporters/me/availability', sup.token, { available: true });
    expect(av.status).toBe(200);
    expect(av.body.qualified_topics).toEqual([]);
    expect(av.body.blocked_topics).toEqual([
      { topic: 'exam-stress', not_on_roster: false, training: [{ module: 'listening', label: 'Active listening', status: 'expired', expires: '2025-12-01' }] },
      {
        topic: 'low-mood', not_on_roster: false, training: [
          { module: 'listening', label: 'Active listening', status: 'expired', expires: '2025-12-01' },
          { module: 'mhfa', label: 'Mental health first aid', status: 'missing', expires: null },
        ],
      },
    ]);

    const student = await f.student('stu-1');
    const req = await f.api<{ request_id: string }>('POST', '/v1/requests', student.token, { topic: 'exam-stress' });
    expect(req.status).toBe(201);
    await f.settle();
    expect((await f.api<{ offers: unknown[] }>('GET', '/v1/offers', sup.token)).body.offers).toEqual([]);
    expect((await f.api<{ status: string }>('GET', `/v1/requests/${req.body.request_id}`, student.token)).body.status).toBe('waiting');

    // The supporter retakes the module in the app; the matcher offers them the waiting request.
    expect((await f.api<TrainingAttemptResult>('POST', '/v1/training/listening/attempts', sup.token, { version: 2, answers: ALL_CORRECT })).body.passed).toBe(true);
    const now = (await f.api<Availability>('GET', '/v1/supporters/me/availability', sup.token)).body;
    expect(now.qualified_topics).toEqual(['exam-stress']);
    expect(now.blocked_topics).toEqual([{ topic: 'low-mood', not_on_roster: false, training: [{ module: 'mhfa', label: 'Mental health first aid', status: 'missing', expires: null }] }]);
    f.matching.engine.kick();
    await f.settle();
    const offers = await f.api<{ offers: { request_id: string; topic: string }[] }>('GET', '/v1/offers', sup.token);
    expect(offers.body.offers).toEqual([expect.objectContaining({ request_id: req.body.request_id, topic: 'exam-stress' })]);
  });
});
