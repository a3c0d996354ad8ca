import { describe, expect, it } from 'vitest';
import { storeBackends, type StoreBackend } from '../store/test-fixture.ts';
import { RoleResolver } from './roles.ts';

const audit = { actor: '@admin:a.example', action: 'test', subject: null, details: {} };

async function setup(backend: StoreBackend): Promise<RoleResolver> {
  const { store } = await backend.open();
  const base = { training: [], capacity: null, updated_ts: 1, updated_by: '@admin:a.example' };
  await store.roster.putSupporter({ ...base, user_id: '@sup:a.example', topics: ['exam-stress'], active: true }, audit);
  await store.roster.putSupporter({ ...base, user_id: '@resting:a.example', topics: [], active: false }, audit);
  await store.roster.putSupporter({ ...base, user_id: '@partner-sup:b.example', topics: [], active: true }, audit);
  await store.roster.putCounsellor({ user_id: '@coun:a.example', team: 'wellbeing', on_duty: null, active: true, updated_ts: 1, updated_by: 'x' }, audit);
  await store.roster.putCounsellor({ user_id: '@remote-coun:b.example', team: 'wellbeing', on_duty: null, active: true, updated_ts: 1, updated_by: 'x' }, audit);
  await store.roster.putAdmin({ user_id: '@head:a.example', added_ts: 1, added_by: 'x' }, audit);
  await store.roster.putSupporter({ ...base, user_id: '@head:a.example', topics: [], active: true }, audit);
  return new RoleResolver({ roster: store.roster, serverName: 'a.example', bootstrapAdmins: ['@root:a.example'] });
}

describe.each(storeBackends())('roles from the roster ($name)', (backend) => {
  it('makes any unlisted user of our server a student', async () => {
    expect(await (await setup(backend)).rolesOf('@s-7kq2m9:a.example')).toEqual(['student']);
  });

  it('gives listed supporters, counsellors and admins their roles, several at once', async () => {
    const r = await setup(backend);
    expect(await r.rolesOf('@sup:a.example')).toEqual(['supporter']);
    expect(await r.rolesOf('@coun:a.example')).toEqual(['counsellor']);
    expect(await r.rolesOf('@head:a.example')).toEqual(['supporter', 'admin']);
  });

  it('treats admins named in the config as admins', async () => {
    expect(await (await setup(backend)).rolesOf('@root:a.example')).toEqual(['admin']);
  });

  it('drops the supporter role of an inactive supporter', async () => {
    expect(await (await setup(backend)).rolesOf('@resting:a.example')).toEqual(['student']);
  });

  it('gives partner users no role unless the roster lists them as supporters', async () => {
    const r = await setup(backend);
    expect(await r.rolesOf('@stranger:b.example')).toEqual([]);
    expect(await r.rolesOf('@partner-sup:b.example')).toEqual(['supporter']);
    // Counsellors act for their own institution only.
    expect(await r.rolesOf('@remote-coun:b.example')).toEqual([]);
  });
});
