// Server ACLs (`m.room.server_acl`, spec Client-Server "Server Access Control Lists"): whether a
// server may take part in a room at the federation level. Glob patterns (`*`, `?`, case-insensitive)
// are matched against the server name without its port; IP literals may be refused as a whole.
// Malformed content is read the way Synapse reads it: a non-list `allow`/`deny` counts as empty,
// non-string entries are skipped, a non-boolean `allow_ip_literals` counts as true.
import { parseServerName } from './server-name.ts';

export interface ServerAcl {
  allowIpLiterals: boolean;
  allow: RegExp[];
  deny: RegExp[];
}

/** The spec's glob-style matching (appendix "Glob-style matching") as an anchored, case-insensitive RegExp. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 'is');
}

function patterns(v: unknown): RegExp[] {
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is string => typeof x === 'string').map(globToRegExp);
}

/** Reads the content of an `m.room.server_acl` event. */
export function parseServerAcl(content: Record<string, unknown>): ServerAcl {
  const ip = content['allow_ip_literals'];
  return { allowIpLiterals: typeof ip === 'boolean' ? ip : true, allow: patterns(content['allow']), deny: patterns(content['deny']) };
}

/**
 * Whether `serverName` may take part in a room with this ACL (null: the room has none → allowed),
 * in the order the spec gives: IP literal refused, then deny, then allow, else deny.
 */
export function serverAclAllows(acl: ServerAcl | null, serverName: string): boolean {
  if (acl === null) return true;
  const parsed = parseServerName(serverName);
  // A name that is not a server name at all cannot match anything an ACL admits.
  if (!parsed) return false;
  if (parsed.isIpLiteral && !acl.allowIpLiterals) return false;
  // The port is never considered; IPv6 literals keep their brackets, as they appear in server names.
  const host = parsed.isIpLiteral && parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host;
  if (acl.deny.some((r) => r.test(host))) return false;
  return acl.allow.some((r) => r.test(host));
}

/** Parsed ACLs by event id: an ACL event never changes, and rooms keep theirs for long. */
export class ServerAclCache {
  private readonly byEventId = new Map<string, ServerAcl>();
  private readonly max: number;

  constructor(max = 1000) {
    this.max = max;
  }

  get(eventId: string, content: Record<string, unknown>): ServerAcl {
    let acl = this.byEventId.get(eventId);
    if (!acl) {
      acl = parseServerAcl(content);
      if (this.byEventId.size >= this.max) this.byEventId.delete(this.byEventId.keys().next().value!);
      this.byEventId.set(eventId, acl);
    }
    return acl;
  }
}
