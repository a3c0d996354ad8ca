// Every Client-Server API route group. Each module exports `register(router, services)`.
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { register as discovery } from './discovery.ts';
import { register as session } from './session.ts';
import { register as profile } from './profile.ts';
import { register as rooms } from './rooms.ts';
import { register as sync } from './sync.ts';
import { register as ephemeral } from './ephemeral.ts';
import { register as accountData } from './account-data.ts';
import { register as devices } from './devices.ts';
import { register as misc } from './misc.ts';

export function registerClientRoutes(router: Router, services: HomeserverServices): void {
  for (const register of [discovery, session, profile, rooms, sync, ephemeral, accountData, devices, misc]) {
    register(router, services);
  }
}
