// The registry through which modules react to what the homeserver pushes: room events (by type),
// ephemeral data (typing, receipts, presence) and to-device messages. Matching, rooms and
// escalation register here; the transaction processor dispatches in the order the spec and our
// conventions require. Handlers must be idempotent by event id where they have side effects
// outside the bridge store: a crash between a handler's effect and its bookkeeping replays it.
import type { Logger } from '../logger.ts';

export interface RoomEvent {
  event_id: string;
  room_id: string;
  type: string;
  sender: string;
  state_key?: string;
  content: Record<string, unknown>;
  origin_server_ts?: number;
  unsigned?: Record<string, unknown>;
}

export interface EphemeralEvent {
  type: string;
  room_id?: string;
  content: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ToDeviceEvent {
  type: string;
  sender: string;
  to_user_id?: string;
  to_device_id?: string;
  content: Record<string, unknown>;
  [key: string]: unknown;
}

export interface HandlerContext {
  txnId: string;
  logger: Logger;
}

export type RoomEventHandler = (ev: RoomEvent, ctx: HandlerContext) => void | Promise<void>;
export type EphemeralHandler = (ev: EphemeralEvent, ctx: HandlerContext) => void | Promise<void>;
export type ToDeviceHandler = (ev: ToDeviceEvent, ctx: HandlerContext) => void | Promise<void>;

interface Registered<H> {
  name: string;
  types: ReadonlySet<string> | null;
  fn: H;
}

const typesOf = (types: string | readonly string[] | '*'): ReadonlySet<string> | null =>
  types === '*' ? null : new Set(typeof types === 'string' ? [types] : types);

export class AppserviceHandlers {
  private readonly room: Registered<RoomEventHandler>[] = [];
  private readonly ephemeral: Registered<EphemeralHandler>[] = [];
  private readonly toDevice: Registered<ToDeviceHandler>[] = [];

  /** `name` identifies the module in logs. Handlers of one event run in registration order. */
  onRoomEvent(name: string, types: string | readonly string[] | '*', fn: RoomEventHandler): void {
    this.room.push({ name, types: typesOf(types), fn });
  }

  onEphemeral(name: string, types: string | readonly string[] | '*', fn: EphemeralHandler): void {
    this.ephemeral.push({ name, types: typesOf(types), fn });
  }

  onToDevice(name: string, types: string | readonly string[] | '*', fn: ToDeviceHandler): void {
    this.toDevice.push({ name, types: typesOf(types), fn });
  }

  roomHandlersFor(type: string): Registered<RoomEventHandler>[] {
    return this.room.filter((h) => h.types === null || h.types.has(type));
  }

  ephemeralHandlersFor(type: string): Registered<EphemeralHandler>[] {
    return this.ephemeral.filter((h) => h.types === null || h.types.has(type));
  }

  toDeviceHandlersFor(type: string): Registered<ToDeviceHandler>[] {
    return this.toDevice.filter((h) => h.types === null || h.types.has(type));
  }
}
