// User-interactive authentication (spec: "User-Interactive Authentication API"). Sessions live in
// memory for a few minutes; a request completes when one of its flows has all stages done.
import { randomBytes } from 'node:crypto';
import { MatrixError, badJson, forbidden } from '../../api/errors.ts';
import { isObject } from '../../api/validate.ts';
import type { JsonObject } from '../../core/pdu.ts';

export type UiaStage = 'm.login.password' | 'm.login.dummy' | 'm.login.registration_token';

interface Session {
  completed: Set<string>;
  created: number;
  /** What the session was started for; a session cannot be reused for another request. */
  purpose: string;
}

export interface UiaStageChecker {
  /** Validates the `auth` dict for one stage; throws MatrixError when it fails. */
  check(stage: UiaStage, auth: JsonObject, forUserId: string | null): Promise<void>;
}

const SESSION_TTL_MS = 10 * 60_000;

/**
 * The 401 UIA response. Only a failed stage carries `errcode`/`error` (spec example; Synapse):
 * clients such as Element show any errcode in a challenge as an error before the user typed anything.
 */
class UiaChallenge extends MatrixError {
  private readonly failed: boolean;

  constructor(status: number, errcode: string, message: string, extra: Record<string, unknown>, failed: boolean) {
    super(status, errcode, message, extra);
    this.failed = failed;
  }

  override toJSON(): Record<string, unknown> {
    return this.failed ? super.toJSON() : { ...this.extra };
  }
}

export class UiaService {
  private readonly sessions = new Map<string, Session>();
  private readonly checker: UiaStageChecker;

  constructor(checker: UiaStageChecker) {
    this.checker = checker;
  }

  /**
   * Ensures the request body's `auth` completes one of `flows`. Throws the 401 UIA response (flows,
   * session, completed) until it does; returns the completed session's auth dict when done.
   */
  async require(body: unknown, flows: UiaStage[][], purpose: string, forUserId: string | null, params: JsonObject = {}): Promise<JsonObject> {
    const now = Date.now();
    for (const [id, s] of this.sessions) if (now - s.created > SESSION_TTL_MS) this.sessions.delete(id);
    const auth = isObject(body) ? body['auth'] : undefined;
    if (auth !== undefined && !isObject(auth)) throw badJson("'auth' must be an object");
    let sessionId = auth && typeof auth['session'] === 'string' ? auth['session'] : undefined;
    let session = sessionId ? this.sessions.get(sessionId) : undefined;
    if (sessionId && !session) throw new MatrixError(400, 'M_UNKNOWN', `unknown UIA session '${sessionId}'`);
    if (session && session.purpose !== purpose) throw forbidden('UIA session was started for a different request');
    if (!session) {
      sessionId = randomBytes(16).toString('base64url');
      session = { completed: new Set(), created: now, purpose };
      this.sessions.set(sessionId, session);
    }
    const uiaBody = (extra: Record<string, unknown> = {}): MatrixError =>
      new UiaChallenge(401, (extra['errcode'] as string | undefined) ?? 'M_FORBIDDEN', (extra['error'] as string | undefined) ?? 'Additional authentication is required', {
        flows: flows.map((stages) => ({ stages })),
        params,
        session: sessionId,
        completed: [...session.completed],
        ...extra,
      }, extra['errcode'] !== undefined);
    if (auth && typeof auth['type'] === 'string') {
      const stage = auth['type'] as UiaStage;
      const allowed = flows.some((f) => f.includes(stage));
      if (!allowed) throw uiaBody({ errcode: 'M_UNRECOGNIZED', error: `authentication stage '${stage}' is not offered here` });
      try {
        await this.checker.check(stage, auth, forUserId);
        session.completed.add(stage);
      } catch (e) {
        if (e instanceof MatrixError) throw uiaBody({ errcode: e.errcode, error: e.message });
        throw e;
      }
    }
    if (flows.some((f) => f.every((s) => session.completed.has(s)))) {
      this.sessions.delete(sessionId!);
      return auth!;
    }
    throw uiaBody();
  }
}
