import { describe, expect, it } from 'vitest';
import { isSession, signInWithPassword, SignInError } from './session.ts';
import { loadSession, saveSession, forgetSession, type KeyValueStorage } from '../platform/storage.ts';

const reply = (status: number, body: unknown): typeof fetch => (async () => new Response(JSON.stringify(body), { status })) as typeof fetch;

describe('password sign-in', () => {
  it('sends m.login.password with a user identifier and returns the session', async () => {
    let sent: { url: string; body: unknown } | null = null;
    const fetchFn = (async (url: string, init: RequestInit) => {
      sent = { url, body: JSON.parse(String(init.body)) };
      return new Response(JSON.stringify({ user_id: '@s:a.example', device_id: 'DEV', access_token: 'tok' }));
    }) as unknown as typeof fetch;
    const s = await signInWithPassword('https://a.example/', 's', 'pw', fetchFn);
    expect(s).toEqual({ homeserverUrl: 'https://a.example', userId: '@s:a.example', deviceId: 'DEV', accessToken: 'tok' });
    expect(sent).toMatchObject({ url: 'https://a.example/_matrix/client/v3/login', body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 's' }, password: 'pw' } });
  });

  it('reports the errcode of a refused sign-in', async () => {
    const err = await signInWithPassword('https://a.example', 's', 'bad', reply(403, { errcode: 'M_FORBIDDEN', error: 'Invalid password' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignInError);
    expect((err as SignInError).errcode).toBe('M_FORBIDDEN');
  });

  it('reports a network failure as NETWORK', async () => {
    const offline = (async () => { throw new TypeError('Failed to fetch'); }) as typeof fetch;
    await expect(signInWithPassword('https://a.example', 's', 'pw', offline)).rejects.toMatchObject({ errcode: 'NETWORK' });
  });

  it('rejects a 200 answer without an access token', async () => {
    await expect(signInWithPassword('https://a.example', 's', 'pw', reply(200, { user_id: '@s:a.example' }))).rejects.toBeInstanceOf(SignInError);
  });
});

describe('stored session', () => {
  const storage = (): KeyValueStorage => { const m = new Map<string, string>(); return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => { m.set(k, v); }, removeItem: (k) => { m.delete(k); } }; };

  it('survives a save and load, and is gone after forget', () => {
    const st = storage();
    const s = { homeserverUrl: 'https://a.example', userId: '@s:a.example', deviceId: 'D', accessToken: 't' };
    saveSession(st, s);
    expect(loadSession(st)).toEqual(s);
    forgetSession(st);
    expect(loadSession(st)).toBeNull();
  });

  it('treats a corrupted or partial record as no session', () => {
    const st = storage();
    st.setItem('peerline.session', '{"userId":"@s:a.example"}');
    expect(loadSession(st)).toBeNull();
    st.setItem('peerline.session', '{oops');
    expect(loadSession(st)).toBeNull();
    expect(isSession({ homeserverUrl: 'x', userId: '', deviceId: 'd', accessToken: 't' })).toBe(false);
  });
});
