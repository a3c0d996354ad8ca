// What every request carries through the Hono app: its id, the route template it matched (for
// metrics and logs — never the raw path, which may hold user ids), its logger, and who is asking.
import type { Logger } from '../logger.ts';
import type { Role } from '../services/roles.ts';

export interface Principal {
  user_id: string;
  session_id: string;
  roles: Role[];
  token_hash: string;
  expires_ts: number;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    route: string;
    logger: Logger;
    principal: Principal | undefined;
  };
}
