// Erasing the account over plain fetch: POST /account/deactivate with `erase: true`, answering the
// user-interactive auth password stage with what the person typed. A wrong password changes nothing.
import type { Session } from './session.ts';

export type AccountProblem = 'password' | 'network' | 'server';

export class AccountError extends Error {
  readonly problem: AccountProblem;
  constructor(problem: AccountProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

async function deactivateCall(session: Session, body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(`${session.homeserverUrl.replace(/\/+$/, '')}/_matrix/client/v3/account/deactivate`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${session.accessToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new AccountError('network', 'the homeserver could not be reached');
  }
  const parsed = (await res.json().catch(() => ({}))) as unknown;
  return { status: res.status, body: typeof parsed === 'object' && parsed !== null ? parsed as Record<string, unknown> : {} };
}

/** POST /_matrix/client/v3/account/deactivate with erase: true, authenticated by the account's password. */
export async function eraseAccount(session: Session, password: string): Promise<void> {
  // The first call, without auth, opens a UIA session (401 with its id and flows).
  const first = await deactivateCall(session, { erase: true });
  if (first.status === 200) return;
  if (first.status !== 401) throw new AccountError('server', 'the homeserver refused to erase the account');
  const flows = Array.isArray(first.body['flows']) ? first.body['flows'] as { stages?: unknown }[] : [];
  if (flows.length > 0 && !flows.some((f) => Array.isArray(f.stages) && f.stages.length === 1 && f.stages[0] === 'm.login.password')) {
    throw new AccountError('server', 'the homeserver asks for more than a password');
  }
  const auth = {
    type: 'm.login.password', identifier: { type: 'm.id.user', user: session.userId }, password,
    ...(typeof first.body['session'] === 'string' ? { session: first.body['session'] } : {}),
  };
  const second = await deactivateCall(session, { erase: true, auth });
  if (second.status === 200) return;
  throw new AccountError(second.status === 401 || second.status === 403 ? 'password' : 'server', 'the account was not erased');
}
