// The load run's books: every HTTP call and its outcome, every message sent with the people who must
// decrypt it, every decryption (by event id and body), and the latencies the report shows. Nothing
// here holds a secret or a message body beyond the run's own process.
import { randomBytes } from 'node:crypto';

export interface Delivery { receiver: string; eventId: string; at: number }

interface SentMessage {
  sender: string;
  roomId: string;
  kind: string;
  sentAt: number;
  /** Receivers that must decrypt it (the sender is never one). */
  expected: Set<string>;
  /** receiver → event ids it decrypted with this body (one expected). */
  got: Map<string, string[]>;
}

export interface LedgerSummary {
  messagesSent: number;
  expectedDeliveries: number;
  deliveredOnce: number;
  missing: number;
  duplicates: number;
  unexpected: number;
  decryptionFailures: number;
  httpCalls: number;
  errors: number;
  errorsByKind: Record<string, number>;
}

export class Ledger {
  readonly errorsByKind = new Map<string, number>();
  /** A few error details for the report (status codes and call names only, never tokens or bodies). */
  readonly errorSamples: string[] = [];
  httpCalls = 0;
  decryptionFailures = 0;
  unexpected = 0;
  readonly latencies = { login: [] as number[], bridgeSignIn: [] as number[], sendToDecrypt: [] as number[], requestToMatch: [] as number[], escalationToClaim: [] as number[], groupJoin: [] as number[] };
  readonly counts = new Map<string, number>();
  private readonly messages = new Map<string, SentMessage>();

  /** A message body unique to this run and long enough that finding it anywhere is no accident. */
  static body(kind: string): string {
    return `${kind} message ${randomBytes(16).toString('hex')} — how are you feeling about everything today?`;
  }

  count(what: string, n = 1): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + n);
  }

  error(kind: string, detail: string): void {
    this.errorsByKind.set(kind, (this.errorsByKind.get(kind) ?? 0) + 1);
    if (this.errorSamples.length < 40) this.errorSamples.push(`${kind}: ${detail}`.slice(0, 300));
  }

  /** Called right before the send: `expected` are the room members who must decrypt it. */
  sending(body: string, m: { sender: string; roomId: string; kind: string; expected: Iterable<string> }): void {
    const expected = new Set(m.expected);
    expected.delete(m.sender);
    this.messages.set(body, { sender: m.sender, roomId: m.roomId, kind: m.kind, sentAt: performance.now(), expected, got: new Map() });
  }

  /** The send failed for good: the message is not owed to anyone (the failure is counted as an error). */
  sendFailed(body: string): void {
    this.messages.delete(body);
  }

  /** A client decrypted a text message. Returns false when it was not one of this run's. */
  decrypted(receiver: string, roomId: string, body: string, eventId: string): boolean {
    const m = this.messages.get(body);
    if (!m) return false;
    if (receiver === m.sender) return true;
    if (m.roomId !== roomId || !m.expected.has(receiver)) {
      this.unexpected++;
      return true;
    }
    const ids = m.got.get(receiver) ?? [];
    ids.push(eventId);
    m.got.set(receiver, ids);
    if (ids.length === 1) this.latencies.sendToDecrypt.push(performance.now() - m.sentAt);
    return true;
  }

  /** Whether `receiver` has decrypted `body`. */
  has(receiver: string, body: string): boolean {
    return (this.messages.get(body)?.got.get(receiver)?.length ?? 0) > 0;
  }

  /** Deliveries still owed. */
  outstanding(): number {
    let n = 0;
    for (const m of this.messages.values()) for (const r of m.expected) if (!m.got.has(r)) n++;
    return n;
  }

  /** Every message body of the run (for the privacy scan). */
  bodies(): string[] {
    return [...this.messages.keys()];
  }

  summary(): LedgerSummary {
    let expectedDeliveries = 0;
    let deliveredOnce = 0;
    let missing = 0;
    let duplicates = 0;
    for (const m of this.messages.values()) {
      for (const r of m.expected) {
        expectedDeliveries++;
        const ids = m.got.get(r) ?? [];
        if (ids.length === 0) missing++;
        else if (ids.length === 1) deliveredOnce++;
        else duplicates++;
      }
    }
    const errorsByKind = Object.fromEntries(this.errorsByKind);
    return {
      messagesSent: this.messages.size, expectedDeliveries, deliveredOnce, missing, duplicates, unexpected: this.unexpected,
      decryptionFailures: this.decryptionFailures, httpCalls: this.httpCalls,
      errors: Object.values(errorsByKind).reduce((a, b) => a + b, 0), errorsByKind,
    };
  }
}
