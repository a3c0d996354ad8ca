// Who may do what: roles come from the roster, never from the client. A user of this institution's
// homeserver with no roster role is a student; users of partner servers have no role here unless
// the roster lists them (a consortium supporter). Inactive supporters and counsellors lose the role.
import type { RosterStore } from '../store/store.ts';

export const ROLES = ['student', 'supporter', 'counsellor', 'admin'] as const;
export type Role = typeof ROLES[number];

export class RoleResolver {
  private readonly roster: RosterStore;
  private readonly serverName: string;
  private readonly bootstrap: ReadonlySet<string>;

  constructor(opts: { roster: RosterStore; serverName: string; bootstrapAdmins: readonly string[] }) {
    this.roster = opts.roster;
    this.serverName = opts.serverName;
    this.bootstrap = new Set(opts.bootstrapAdmins);
  }

  isLocal(userId: string): boolean {
    return userId.endsWith(`:${this.serverName}`);
  }

  bootstrapAdmins(): string[] {
    return [...this.bootstrap];
  }

  isBootstrapAdmin(userId: string): boolean {
    return this.bootstrap.has(userId);
  }

  async rolesOf(userId: string): Promise<Role[]> {
    const [supporter, counsellor, admin] = await Promise.all([
      this.roster.supporter(userId), this.roster.counsellor(userId), this.roster.admin(userId),
    ]);
    const roles: Role[] = [];
    if (supporter?.active) roles.push('supporter');
    // Counsellors and admins act for this institution only.
    const local = this.isLocal(userId);
    if (local && counsellor?.active) roles.push('counsellor');
    if (local && (admin !== undefined || this.bootstrap.has(userId))) roles.push('admin');
    if (roles.length === 0 && local) roles.push('student');
    return roles;
  }
}
