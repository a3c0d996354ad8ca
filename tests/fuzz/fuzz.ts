// The endpoint fuzzer: every endpoint of the homeserver (client and federation listeners) and of
// the bridge gets the deterministic edge cases of inputs.ts in its body, path parameters and query,
// plus seeded random cases. Each answer must be a JSON error with a Matrix errcode and a message
// (4xx, never 5xx, never a stack trace) — or, for a case a lenient endpoint may accept, a success —
// within a deadline; a refused request must leave both databases as they were; both processes must
// stay up. Findings are collected, not thrown, so one run reports them all.
import { canonicalJson } from '../../homeserver/src/core/canonical-json.ts';
import { signRequest } from '../../homeserver/src/federation/x-matrix.ts';
import { BAD_PATH_PARAMS, BAD_QUERIES, bodyCases, randomCases, type BodyCase, type CaseClass } from './inputs.ts';
import { baseParam, bridgeEndpoints, fillPath, homeserverEndpoints, type Endpoint, type JsonSchema } from './endpoints.ts';
import { sendRaw, type RawResponse } from './send.ts';
import type { FuzzStack } from './stack.ts';

export interface FuzzOptions {
  seed: number;
  /** Random cases per endpoint. */
  randomPerEndpoint: number;
  /** Deadline of one request. */
  timeoutMs: number;
  /**
   * At most this many deterministic cases per endpoint (the bounded form): each endpoint takes a
   * different slice of its list, so that every case still meets many endpoints. Default: all.
   */
  casesPerEndpoint?: number;
  /** Only endpoints whose `METHOD template` matches. */
  only?: RegExp;
  log?: (line: string) => void;
}

export interface Finding {
  endpoint: string;
  case: string;
  problem: string;
}

export interface FuzzReport {
  seed: number;
  endpoints: number;
  requests: number;
  accepted: number;
  refused: number;
  findings: Finding[];
}

interface FuzzRequest {
  name: string;
  class: CaseClass;
  path: string;
  body?: BodyCase;
}

const STACK_TRACE = /\n\s+at |node:internal|\.ts:\d+|\.js:\d+|SQLITE|sqlite|TypeError|RangeError|ReferenceError|Cannot read prop|is not a function|is not iterable/;

/** A value of a type the schema does not allow, or undefined when the schema allows anything. */
function wrongValueFor(schema: JsonSchema): unknown {
  const types = schema.type === undefined ? null : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (!types) return schema.anyOf ? { 'org.example.fuzz': [null] } : undefined;
  if (!types.includes('string')) return 'not-what-you-want';
  if (!types.includes('object')) return { nested: true };
  if (!types.includes('integer') && !types.includes('number')) return 12345;
  return undefined;
}

/** Bodies that break a published schema: each required field missing, each field of the wrong type. */
function schemaCases(schema: JsonSchema): BodyCase[] {
  const out: BodyCase[] = [];
  const json = (name: string, value: unknown): BodyCase => ({ name, class: 'invalid', bytes: Buffer.from(JSON.stringify(value)), json: value });
  if (schema.type === 'object' && (schema.required?.length ?? 0) > 0) out.push(json('schema: every required field missing', {}));
  for (const [field, sub] of Object.entries(schema.properties ?? {})) {
    const wrong = wrongValueFor(sub);
    if (wrong !== undefined) out.push(json(`schema: field ${field} of the wrong type`, { [field]: wrong }));
  }
  return out;
}

function requestsFor(e: Endpoint, s: FuzzStack, opts: FuzzOptions, seedOffset: number, counter: { n: number }): FuzzRequest[] {
  const base = (): Record<string, string> => Object.fromEntries(e.params.map((p) => [p, baseParam(e, p, s, ++counter.n)]));
  const out: FuzzRequest[] = [];
  const noBody: BodyCase = { name: 'empty object', class: 'shape', bytes: Buffer.from('{}'), json: {} };
  if (e.takesBody) {
    for (const b of [...bodyCases(e.bodyLimit), ...(e.bodySchema ? schemaCases(e.bodySchema) : [])]) out.push({ name: `body: ${b.name}`, class: b.class, path: fillPath(e.template, base()), body: b });
  }
  for (const p of e.params) {
    for (const bad of BAD_PATH_PARAMS) {
      const values = { ...base(), [p]: bad.raw };
      const cls: CaseClass = e.idParams.includes(p) ? 'invalid' : 'shape';
      out.push({ name: `path {${p}}: ${bad.name}`, class: cls, path: fillPath(e.template, values), ...(e.takesBody ? { body: noBody } : {}) });
    }
  }
  for (const q of BAD_QUERIES) out.push({ name: `query: ${q.name}`, class: 'shape', path: `${fillPath(e.template, base())}?${q.query}`, ...(e.takesBody ? { body: noBody } : {}) });
  const k = opts.casesPerEndpoint;
  if (k !== undefined && out.length > k) {
    const stride = out.length / k;
    const start = seedOffset % out.length;
    const picked = Array.from({ length: k }, (_, j) => out[(start + Math.floor(j * stride)) % out.length]!);
    out.length = 0;
    out.push(...picked);
  }
  randomCases(opts.seed + seedOffset, opts.randomPerEndpoint).forEach((r, i) => {
    const values = base();
    const p = e.params.length > 0 && i % 2 === 1 ? e.params[i % e.params.length]! : null;
    if (p) values[p] = r.pathParam;
    out.push({ name: `random #${i} (seed ${opts.seed + seedOffset})${p ? ` with {${p}}` : ''}`, class: p || !e.takesBody ? 'shape' : r.body.class, path: `${fillPath(e.template, values)}${r.query ? `?${r.query}` : ''}`, ...(e.takesBody ? { body: r.body } : {}) });
  });
  return out;
}

async function send(e: Endpoint, r: FuzzRequest, s: FuzzStack, token: string | null, timeoutMs: number): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  if (r.body) headers['Content-Type'] = r.body.contentType ?? 'application/json';
  if (r.body?.chunked) headers['Transfer-Encoding'] = 'chunked';
  if (token !== null) headers['Authorization'] = `Bearer ${token}`;
  if (e.auth.kind === 'signed') {
    headers['Host'] = s.hs.serverName;
    let content: unknown;
    let signable = true;
    if (r.body) {
      if (r.body.json !== undefined) content = r.body.json;
      else {
        try {
          content = JSON.parse(r.body.bytes.toString('utf8'));
          canonicalJson(content);
        } catch {
          signable = false;
        }
      }
    }
    if (signable) {
      try {
        headers['Authorization'] = signRequest({ method: e.method, uri: r.path, origin: s.fake.serverName, destination: s.hs.serverName, content }, s.fake.signingKey);
      } catch {
        // Content canonical JSON cannot express (floats, lone surrogates): sent unsigned.
      }
    }
  }
  const port = e.listener === 'client' ? s.hs.clientPort : e.listener === 'federation' ? s.hs.federationPort : s.bridge.port;
  return sendRaw({ https: e.listener === 'federation', port, method: e.method, path: r.path, headers, ...(r.body ? { body: r.body.bytes, chunked: r.body.chunked === true } : {}), timeoutMs });
}

/** What is wrong with an answer, or null. */
function judge(r: FuzzRequest, res: RawResponse): string | null {
  if (res.kind === 'timeout') return 'no answer before the deadline (hang)';
  if (res.kind === 'error') return `connection failed without an answer: ${res.message}`;
  if (res.status >= 500) return `server error ${res.status}: ${res.text.slice(0, 200)}`;
  if (STACK_TRACE.test(res.text)) return `answer leaks internals: ${res.text.slice(0, 200)}`;
  if (res.status >= 200 && res.status < 300) return r.class === 'invalid' ? `accepted (${res.status}) a request every endpoint must refuse` : null;
  if (res.status < 400) return `unexpected status ${res.status}`;
  let body: { errcode?: unknown; error?: unknown };
  try {
    body = JSON.parse(res.text) as typeof body;
  } catch {
    return `${res.status} without a JSON body (${res.contentType}): ${res.text.slice(0, 100)}`;
  }
  // User-interactive authentication answers 401 with its flows and no errcode (spec: "User-interactive authentication API").
  if (res.status === 401 && Array.isArray((body as { flows?: unknown }).flows)) return null;
  if (typeof body.errcode !== 'string' || !/^M_[A-Z_]+$|^[A-Z]+_[A-Z_]+$/.test(body.errcode)) return `${res.status} without a Matrix errcode: ${res.text.slice(0, 200)}`;
  if (typeof body.error !== 'string' || body.error.trim().length < 3) return `${res.status} ${body.errcode} without an error message`;
  return null;
}

/** Waits until the databases stop changing (appservice transactions a success queued have landed). */
async function settle(s: FuzzStack): Promise<ReturnType<FuzzStack['digest']>> {
  let last = s.digest();
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 30));
    const now = s.digest();
    if (s.changed(last, now).length === 0) return now;
    last = now;
  }
  return last;
}

export async function fuzzEndpoints(s: FuzzStack, opts: FuzzOptions): Promise<FuzzReport> {
  const log = opts.log ?? (() => undefined);
  const all = [...homeserverEndpoints(), ...await bridgeEndpoints(s)].filter((e) => !opts.only || opts.only.test(`${e.method} ${e.template}`));
  // Endpoints that end the caller's membership or session go last, so they spoil no fixture early.
  const destructive = (e: Endpoint): boolean => /\/(leave|forget|kick|ban)$/.test(e.template);
  all.sort((a, b) => Number(destructive(a)) - Number(destructive(b)));
  const report: FuzzReport = { seed: opts.seed, endpoints: all.length, requests: 0, accepted: 0, refused: 0, findings: [] };
  const counter = { n: 0 };
  let baseline = await settle(s);
  for (const [i, e] of all.entries()) {
    const id = `${e.listener} ${e.method} ${e.template}`;
    for (const r of requestsFor(e, s, opts, i * 7919 + 13, counter)) {
      const token = e.auth.kind === 'token' ? await e.auth.token(s) : null;
      // Credentials of their own (disposable tokens and sessions) are made before the reading.
      if (e.auth.kind === 'token' && e.auth.fresh) baseline = s.digest();
      const res = await send(e, r, s, token, opts.timeoutMs);
      report.requests++;
      const problem = judge(r, res);
      if (problem) {
        report.findings.push({ endpoint: id, case: r.name, problem });
        log(`FINDING ${id} — ${r.name}: ${problem}`);
      }
      const after = s.digest();
      const changed = s.changed(baseline, after);
      if (res.kind === 'answer' && res.status >= 200 && res.status < 300) {
        report.accepted++;
        baseline = changed.length > 0 ? await settle(s) : after;
      } else {
        report.refused++;
        if (changed.length > 0) {
          const problem2 = `refused (${res.kind === 'answer' ? res.status : res.kind}) but changed ${changed.join(', ')}`;
          report.findings.push({ endpoint: id, case: r.name, problem: problem2 });
          log(`FINDING ${id} — ${r.name}: ${problem2}`);
        }
        baseline = changed.length > 0 ? await settle(s) : after;
      }
    }
    if (!(await s.alive())) {
      report.findings.push({ endpoint: id, case: '(after all cases)', problem: 'a process stopped answering' });
      break;
    }
    log(`${id}: ${report.requests} requests so far, ${report.findings.length} findings`);
  }
  return report;
}
