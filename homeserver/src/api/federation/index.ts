// Server-Server API route groups (the federation listener).
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { register as keys } from './server-keys.ts';
import { register as keyQuery } from './key-query.ts';
import { register as query } from './query.ts';
import { register as transactions } from './transactions.ts';
import { register as rooms } from './rooms.ts';
import { register as userKeys } from './user-keys.ts';

export function registerFederationRoutes(router: Router, services: HomeserverServices): void {
  for (const register of [keys, keyQuery, query, rooms, transactions, userKeys]) register(router, services);
}
