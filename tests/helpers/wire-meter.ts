// Counts what a page puts on the wire, through the DevTools protocol, and throttles its network the
// way DevTools' presets do. Used by the low-bandwidth browser test and bench (no vitest import here).
//
// Received bytes: `encodedDataLength` of Network.loadingFinished (status line, headers and the body
// as sent, i.e. compressed when it was). Sent bytes: the request line and the headers Chromium really
// sent (Network.requestWillBeSentExtraInfo) plus the body. CORS preflights are requests of their own.
// A request is counted in the window where it was sent (its upload) and where it finished (its
// download): a long poll open when the window starts counts only its answer.
import type { CDPSession, Page } from 'playwright-core';

/** A network profile for Network.emulateNetworkConditions: round-trip latency and throughput in each direction. */
export interface NetworkProfile { name: string; latencyMs: number; downKbps: number; upKbps: number }

/** A slow 3G-class link (Chrome DevTools' "Slow 3G" shape): 400 ms round trip, 400 kbit/s each way. */
export const SLOW_3G: NetworkProfile = { name: 'slow 3G (400 ms RTT, 400 kbit/s)', latencyMs: 400, downKbps: 400, upKbps: 400 };

export interface WireRequest {
  method: string;
  url: string;
  /** The resource type Chromium reports (Fetch, XHR, Document, Script …); preflights are the OPTIONS requests. */
  type: string;
  sent: number;
  received: number;
  status: number;
}

interface Pending { method: string; url: string; type: string; body: number; headers: number | null; status: number; sentInWindow: boolean; responseHeaders: number }

const headerBytes = (h: Record<string, string>): number => Object.entries(h).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);

export class WireMeter {
  private readonly cdp: CDPSession;
  private readonly pending = new Map<string, Pending>();
  private window: WireRequest[] | null = null;

  private constructor(cdp: CDPSession) { this.cdp = cdp; }

  /** Starts watching `page`'s network (nothing is counted until start()). */
  static async attach(page: Page): Promise<WireMeter> {
    const cdp = await page.context().newCDPSession(page);
    const meter = new WireMeter(cdp);
    cdp.on('Network.requestWillBeSent', (e) => {
      const body = e.request.postData !== undefined ? Buffer.byteLength(e.request.postData) : (e.request.postDataEntries ?? []).reduce((n, p) => n + (p.bytes ? Buffer.from(p.bytes, 'base64').length : 0), 0);
      const path = new URL(e.request.url).pathname;
      meter.pending.set(e.requestId, {
        method: e.request.method, url: e.request.url, type: e.type ?? 'Other', body, status: 0,
        // Request line ("GET /path HTTP/1.1\r\n") + headers (replaced by the real ones when they are reported).
        headers: null, sentInWindow: meter.window !== null, responseHeaders: 0,
      });
      meter.pending.get(e.requestId)!.headers = e.request.method.length + path.length + 12 + headerBytes(e.request.headers);
    });
    cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
      const p = meter.pending.get(e.requestId);
      if (p) p.headers = p.method.length + new URL(p.url).pathname.length + 12 + headerBytes(e.headers as Record<string, string>);
    });
    // Preflights report no encodedDataLength of their own: their answer is its status line and headers.
    cdp.on('Network.responseReceivedExtraInfo', (e) => {
      const p = meter.pending.get(e.requestId);
      if (p) p.responseHeaders = e.headersText !== undefined ? e.headersText.length : 17 + headerBytes(e.headers as Record<string, string>) + 2;
    });
    cdp.on('Network.responseReceived', (e) => {
      const p = meter.pending.get(e.requestId);
      if (p) p.status = e.response.status;
    });
    const finish = (requestId: string, received: number): void => {
      const p = meter.pending.get(requestId);
      meter.pending.delete(requestId);
      if (!p || !meter.window) return;
      meter.window.push({ method: p.method, url: p.url, type: p.type, sent: p.sentInWindow ? (p.headers ?? 0) + p.body : 0, received: Math.max(received, p.responseHeaders), status: p.status });
    };
    cdp.on('Network.loadingFinished', (e) => finish(e.requestId, e.encodedDataLength));
    cdp.on('Network.loadingFailed', (e) => finish(e.requestId, 0));
    await cdp.send('Network.enable');
    return meter;
  }

  /** Applies a network profile to the page (null: no throttling). */
  async throttle(profile: NetworkProfile | null): Promise<void> {
    await this.cdp.send('Network.emulateNetworkConditions', profile
      ? { offline: false, latency: profile.latencyMs, downloadThroughput: (profile.downKbps * 1000) / 8, uploadThroughput: (profile.upKbps * 1000) / 8 }
      : { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  }

  /** Starts a counting window (requests already in flight count with their answers only). */
  start(): void {
    this.window = [];
    for (const p of this.pending.values()) p.sentInWindow = false;
  }

  /** Ends the window: every request sent or finished in it. Requests still in flight are added with what they sent. */
  stop(): WireRequest[] {
    const out = this.window ?? [];
    for (const p of this.pending.values()) if (p.sentInWindow) out.push({ method: p.method, url: p.url, type: p.type, sent: (p.headers ?? 0) + p.body, received: 0, status: 0 });
    this.window = null;
    return out;
  }

  /** The requests finished so far in the current window. */
  finished(): readonly WireRequest[] { return this.window ?? []; }

  /** Requests in flight now that are not sync long polls (for waiting until the page is quiet). */
  busy(): number {
    return [...this.pending.values()].filter((p) => !new URL(p.url).pathname.endsWith('/sync')).length;
  }

  async detach(): Promise<void> { await this.cdp.detach().catch(() => {}); }
}

/** Total bytes both ways. */
export const wireTotal = (reqs: readonly WireRequest[]): number => reqs.reduce((n, r) => n + r.sent + r.received, 0);

/** A one-line-per-request table of where the bytes went (paths with ids elided), for printing. */
export function wireBreakdown(reqs: readonly WireRequest[]): string {
  const rows = new Map<string, { n: number; sent: number; received: number }>();
  for (const r of reqs) {
    const path = new URL(r.url).pathname.replace(/\/(![^/]+|@[^/]+|\$[^/]+|m\d+\.\d+[^/]*|[A-Za-z0-9_-]{20,})/g, '/…');
    const key = `${r.method} ${path}`;
    const row = rows.get(key) ?? { n: 0, sent: 0, received: 0 };
    row.n += 1; row.sent += r.sent; row.received += r.received;
    rows.set(key, row);
  }
  return [...rows.entries()].sort((a, b) => (b[1].sent + b[1].received) - (a[1].sent + a[1].received))
    .map(([k, v]) => `${String(v.sent + v.received).padStart(7)} B  (${v.n}× ↑${v.sent} ↓${v.received})  ${k}`).join('\n');
}
