// Peer sessions and support groups as the bridge shows them to either side of a session — the
// student (student-api.ts) and the supporter (supporter-api.ts) read the same views from the same
// routes. Shapes follow bridge-service/src/matching/schemas.ts (SessionView, GroupView).
import type { BridgeClient } from './bridge-client.ts';

export type SessionStatus = 'creating' | 'active' | 'ended' | 'failed';
export type CheckInStatus = 'offered' | 'accepted' | 'declined' | 'started';

export interface CheckInView { proposed_ts: number; status: CheckInStatus; answered_ts: number | null }

/** A peer session (SessionView). */
export interface PeerSessionView {
  session_id: string;
  request_id: string;
  role: 'student' | 'supporter';
  status: SessionStatus;
  topic: string;
  room_id: string | null;
  institutions: string[];
  created_ts: number;
  ended_ts: number | null;
  outcome: string | null;
  check_in: CheckInView | null;
}

/** A support group (GroupView). */
export interface SupportGroupView {
  group_id: string;
  topic: string;
  name: string;
  audience: 'institution' | 'consortium';
  room_id: string;
  created_ts: number;
  joinable: boolean;
}

/** GET /v1/sessions — the caller's recent peer sessions, newest first. */
export async function listSessions(b: BridgeClient): Promise<PeerSessionView[]> {
  return (await b.request<{ sessions: PeerSessionView[] }>('GET', '/v1/sessions')).sessions;
}

/** GET /v1/groups — open groups the caller can see. */
export async function listGroups(b: BridgeClient): Promise<SupportGroupView[]> {
  return (await b.request<{ groups: SupportGroupView[] }>('GET', '/v1/groups')).groups;
}
