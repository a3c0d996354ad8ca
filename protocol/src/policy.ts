// The institution policy: one YAML document per institution that says who may support whom, when,
// on which topics, for how long rooms live and where escalations go. The TypeBox schema below IS
// the published JSON Schema (`policyJsonSchema()`); the bridge validates with it, the web client
// and institutions' tooling read the same types. Checks a schema cannot express (references between
// sections, time zones, time ranges) live in `checkPolicy`.
import { Type, type Static, type TArray, type TInteger, type TOptional, type TString } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { MatrixServerNameSchema, type SeverityLevel } from './common-schemas.ts';
import { describeSchema } from './validation.ts';

export const POLICY_SCHEMA_ID = 'https://peerline.org/schemas/institution-policy/v1.json';

// ── building blocks ─────────────────────────────────────────────────────────────────────────────
// Descriptions are noun phrases: validation messages read "expected <description>" (validation.ts).

/** Lower-case identifier used for institutions, topics, training modules and roster teams. */
export const SlugSchema = Type.String({
  pattern: '^[a-z0-9][a-z0-9._-]{0,63}$',
  'x-expected': "an identifier of lower-case letters, digits, '.', '_' or '-' (at most 64 characters)",
});

const text = (description: string, maxLength = 200): TString => Type.String({ minLength: 1, maxLength, description });
const whole = (unit: string, maximum: number): TInteger =>
  Type.Integer({ minimum: 1, maximum, description: `a whole number from 1 to ${maximum} (${unit})` });

export const TimeOfDaySchema = Type.String({
  pattern: '^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$',
  'x-expected': "a time of day 'HH:MM' in 24-hour form ('24:00' ends a day)",
});

export const DateSchema = Type.String({
  pattern: '^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$',
  'x-expected': "a date 'YYYY-MM-DD'",
});

export const TimeZoneSchema = Type.String({ minLength: 1, maxLength: 64, description: "an IANA time zone such as 'Europe/London'" });

export const TimeRangeSchema = Type.Object({
  start: TimeOfDaySchema,
  end: TimeOfDaySchema,
}, { additionalProperties: false, title: 'local time range within one day, end after start (split ranges that cross midnight)' });

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = typeof WEEKDAYS[number];

/** Opening times per weekday; a missing day is closed. */
const dayHours = (): TOptional<TArray<typeof TimeRangeSchema>> => Type.Optional(Type.Array(TimeRangeSchema));
export const WeeklyScheduleSchema = Type.Object({
  monday: dayHours(), tuesday: dayHours(), wednesday: dayHours(), thursday: dayHours(),
  friday: dayHours(), saturday: dayHours(), sunday: dayHours(),
}, { additionalProperties: false, title: 'opening times per weekday; a missing day is closed' });

export const HolidaySchema = Type.Object({
  date: DateSchema,
  until: Type.Optional(DateSchema),
  name: Type.Optional(Type.String({ maxLength: 200, description: 'the name of the holiday' })),
}, { additionalProperties: false, title: 'closed day, or closed days from date to until inclusive' });

/** Weekly hours in a time zone, with closed days. Used for support hours and on-duty schedules. */
export const ScheduleSchema = Type.Object({
  time_zone: TimeZoneSchema,
  weekly: WeeklyScheduleSchema,
  holidays: Type.Optional(Type.Array(HolidaySchema)),
}, { additionalProperties: false, title: 'weekly hours in a time zone, with closed days' });

// ── sections ────────────────────────────────────────────────────────────────────────────────────

export const PartnerSchema = Type.Object({
  server_name: MatrixServerNameSchema,
  institution_id: SlugSchema,
  name: text("the partner institution's display name"),
}, { additionalProperties: false, title: 'partner institution of the consortium' });

export const TopicSchema = Type.Object({
  id: SlugSchema,
  label: text('the label students and supporters see', 100),
  description: Type.Optional(Type.String({ maxLength: 1000, description: 'a longer explanation for students' })),
  needs_training: Type.Array(SlugSchema, { description: 'a list of training modules a supporter needs (valid, not expired) to take this topic' }),
}, { additionalProperties: false, title: 'support topic' });

export const TrainingModuleSchema = Type.Object({
  id: SlugSchema,
  label: text('the name of the training module'),
  min_version: Type.Integer({ minimum: 1, description: 'the lowest version of the module that counts (a whole number from 1)' }),
  valid_days: whole('days a completion stays valid', 3650),
  file: Type.Optional(Type.String({
    pattern: '\\.ya?ml$', maxLength: 300,
    'x-expected': "the path of the module's YAML file (training module schema), relative to the policy file's folder, such as 'training/active-listening.yaml'",
    description: 'The module as taught in the web client: a YAML file following the training module schema (protocol/src/training.ts), '
      + "relative to the policy file's folder (or absolute), loaded and validated with the policy; its id must be this module's and its "
      + 'version at least min_version. Without it the module is taken outside the app and admins record completions on the roster.',
  })),
}, { additionalProperties: false, title: 'training module' });

export const CrisisResourceSchema = Type.Object({
  region: Type.String({ pattern: '^(?:default|[A-Z]{2}(?:-[A-Z0-9]{1,3})?)$', 'x-expected': "'default' or an ISO 3166 code such as 'GB' or 'GB-SCT'" }),
  language: Type.String({ pattern: '^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$', 'x-expected': "a BCP 47 language tag such as 'en' or 'cy'" }),
  name: text('the name of the service'),
  phone: Type.Optional(Type.String({ maxLength: 40, description: 'a phone number as dialled' })),
  sms: Type.Optional(Type.String({ maxLength: 40, description: 'a number to text' })),
  url: Type.Optional(Type.String({ pattern: '^https://', 'x-expected': 'an https:// URL' })),
  hours: Type.Optional(Type.String({ maxLength: 100, description: "opening hours as shown, such as '24/7'" })),
  description: Type.Optional(Type.String({ maxLength: 1000, description: 'a short explanation shown with the resource' })),
}, { additionalProperties: false, title: 'crisis resource' });

/** Levels of the web client's on-device risk detector (web-client/src/safety/risk-detector.ts). */
export const RISK_LEVELS = ['elevated', 'high', 'critical'] as const;
export type RiskFlagLevel = typeof RISK_LEVELS[number];

const riskScore = (what: string) => Type.Number({ exclusiveMinimum: 0, maximum: 1, description: `a score above 0 and at most 1 (${what})` });

/**
 * The on-device risk detector's settings. The detector runs in the student's client only and sends
 * nothing; the policy says how sensitive it is and when the client offers a counsellor. Optional:
 * without it, DEFAULT_RISK_DETECTION applies.
 */
export const RiskDetectionSchema = Type.Object({
  enabled: Type.Boolean({ description: 'whether students\' clients run the on-device risk detector on what they write' }),
  flag_at: Type.Optional(Type.Union(RISK_LEVELS.map((l) => Type.Literal(l)), {
    description: "the detector level from which the client shows crisis resources and offers a counsellor: 'elevated', 'high' or 'critical'",
  })),
  thresholds: Type.Optional(Type.Object({
    elevated: riskScore('from this score a message is elevated'),
    high: riskScore('from this score a message is high risk'),
    critical: riskScore('from this score a message is critical'),
  }, { additionalProperties: false, title: 'detector score thresholds, elevated ≤ high ≤ critical' })),
}, { additionalProperties: false, title: 'on-device risk detection' });
export type RiskDetection = Static<typeof RiskDetectionSchema>;

/** What clients apply when the policy says nothing: the detector's own defaults, offering from "high". */
export const DEFAULT_RISK_DETECTION: Readonly<Required<RiskDetection>> & { thresholds: Readonly<Required<NonNullable<RiskDetection['thresholds']>>> } = {
  enabled: true,
  flag_at: 'high',
  thresholds: { elevated: 0.3, high: 0.6, critical: 0.82 },
};

/** The policy's risk detection with every default filled in, as the bridge tells clients. */
export function riskDetectionOf(p: InstitutionPolicy): Required<RiskDetection> {
  const r = p.risk_detection;
  return {
    enabled: r?.enabled ?? DEFAULT_RISK_DETECTION.enabled,
    flag_at: r?.flag_at ?? DEFAULT_RISK_DETECTION.flag_at,
    thresholds: { ...(r?.thresholds ?? DEFAULT_RISK_DETECTION.thresholds) },
  };
}

export const PolicySchema = Type.Object({
  schema_version: Type.Literal(1, { description: 'the version of this schema the document follows' }),
  institution: Type.Object({
    id: SlugSchema,
    name: text("the institution's name"),
    server_name: MatrixServerNameSchema,
  }, { additionalProperties: false, title: 'institution' }),
  partners: Type.Array(PartnerSchema, { description: 'a list of the consortium institutions this institution trusts' }),
  topics: Type.Array(TopicSchema, { minItems: 1 }),
  support_hours: ScheduleSchema,
  age_rules: Type.Object({
    minors: Type.Boolean({ description: 'whether students may be minors; minors are never matched outside their institution' }),
    adult_age: Type.Optional(Type.Integer({ minimum: 1, maximum: 99, description: 'the age of majority (a whole number from 1 to 99)' })),
  }, { additionalProperties: false, title: 'age rules' }),
  matching: Type.Object({
    cross_institution: Type.Boolean({ description: 'whether requests may be offered to supporters of partner institutions' }),
    offer_timeout_seconds: Type.Integer({ minimum: 10, maximum: 3600, description: 'a whole number from 10 to 3600 (seconds an offer waits for a supporter)' }),
  }, { additionalProperties: false, title: 'matching rules' }),
  supporters: Type.Object({
    training: Type.Object({
      modules: Type.Array(TrainingModuleSchema),
      required: Type.Array(SlugSchema, { description: 'a list of modules every supporter needs, whatever the topic' }),
    }, { additionalProperties: false, title: 'training requirements' }),
    capacity: Type.Object({
      default: whole('concurrent sessions per supporter', 50),
      max: whole('concurrent sessions the roster may give a supporter', 50),
    }, { additionalProperties: false, title: 'supporter capacity' }),
    // Wellbeing (issue #9): a supporter who reached this many sessions today (in the support-hours
    // time zone) is offered no more requests until tomorrow. Absent: no daily cap.
    max_sessions_per_day: Type.Optional(whole('sessions one supporter starts per day, counted in the support-hours time zone', 200)),
  }, { additionalProperties: false, title: 'supporter rules' }),
  supervision: Type.Optional(Type.Object({
    team: Type.Optional(Type.String({ ...SlugSchema, description: "the roster team whose counsellors supervise supporters; absent: every active counsellor" })),
  }, { additionalProperties: false, title: 'supervision of supporters (caseload metadata, debriefs, flags for review)' })),
  retention_days: Type.Object({
    peer: whole('days peer rooms are kept', 3650),
    group: whole('days support-group rooms are kept', 3650),
    escalation: whole('days escalation rooms are kept', 3650),
  }, { additionalProperties: false, title: 'retention per room kind' }),
  escalation: Type.Object({
    counsellor_team: Type.String({ ...SlugSchema, description: 'the roster team whose counsellors receive escalations' }),
    on_duty: ScheduleSchema,
    response_targets_minutes: Type.Object({
      low: whole('minutes to a first counsellor response', 10080),
      medium: whole('minutes to a first counsellor response', 10080),
      high: whole('minutes to a first counsellor response', 10080),
      critical: whole('minutes to a first counsellor response', 10080),
    }, { additionalProperties: false, title: 'response-time target per severity' }),
  }, { additionalProperties: false, title: 'escalation routing' }),
  crisis_resources: Type.Array(CrisisResourceSchema, { minItems: 1 }),
  risk_detection: Type.Optional(RiskDetectionSchema),
  rate_limits: Type.Object({
    support_requests_per_hour: whole('support requests one student may make per hour', 1000),
    api_requests_per_minute: whole('bridge API requests per signed-in user per minute', 1_000_000),
    session_creations_per_minute: whole('sign-ins per client address per minute', 1_000_000),
  }, { additionalProperties: false, title: 'rate limits' }),
}, {
  additionalProperties: false,
  $id: POLICY_SCHEMA_ID,
  title: 'Peerline institution policy',
});

/**
 * Minutes within which a counsellor should first respond to an escalation of this severity. Typed
 * by the shared severity scale (common-schemas.ts), so the targets cannot drift from it.
 */
export function responseTargetMinutes(p: InstitutionPolicy, severity: SeverityLevel): number {
  return p.escalation.response_targets_minutes[severity];
}

export type InstitutionPolicy = Static<typeof PolicySchema>;
export type Schedule = Static<typeof ScheduleSchema>;
export type Topic = Static<typeof TopicSchema>;
export type TrainingModule = Static<typeof TrainingModuleSchema>;
export type CrisisResource = Static<typeof CrisisResourceSchema>;

/** The policy schema as a standalone JSON Schema (2020-12) document, as published for institutions. */
export function policyJsonSchema(): Record<string, unknown> {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...(JSON.parse(JSON.stringify(PolicySchema)) as Record<string, unknown>) };
}

// ── validation ──────────────────────────────────────────────────────────────────────────────────

export interface PolicyProblem {
  /** JSONPath-like location, `$` for the document: `$.topics[2].needs_training[0]`. */
  path: string;
  /** What was expected there, and what was found. */
  message: string;
}

/** `/topics/2/id` → `$.topics[2].id` */
export function jsonPointerToPath(pointer: string): string {
  if (pointer === '') return '$';
  return '$' + pointer.split('/').slice(1).map((seg) => {
    const s = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(s) ? `[${s}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  }).join('');
}

function shortValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Turns TypeBox errors into one readable problem per location. */
export function describeSchemaErrors(errors: Iterable<ValueError>, limit = 25): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (seen.has(e.path)) continue;
    seen.add(e.path);
    const path = jsonPointerToPath(e.path);
    let message: string;
    if (e.message === 'Expected required property') {
      message = 'is required';
    } else if (e.message === 'Unexpected property') {
      message = 'is not a known setting (check its spelling and indentation)';
    } else {
      message = `expected ${describeSchema(e.schema)}, found ${shortValue(e.value)}`;
    }
    out.push({ path, message });
    if (out.length >= limit) break;
  }
  return out;
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function checkSchedule(s: Schedule, at: string, out: PolicyProblem[]): void {
  if (!isValidTimeZone(s.time_zone)) out.push({ path: `${at}.time_zone`, message: `expected an IANA time zone such as 'Europe/London', found ${shortValue(s.time_zone)}` });
  for (const day of WEEKDAYS) {
    (s.weekly[day] ?? []).forEach((r, i) => {
      if (r.end <= r.start) out.push({ path: `${at}.weekly.${day}[${i}]`, message: `expected 'end' after 'start' (split ranges that cross midnight), found ${r.start}-${r.end}` });
    });
  }
  (s.holidays ?? []).forEach((h, i) => {
    if (h.until !== undefined && h.until < h.date) out.push({ path: `${at}.holidays[${i}].until`, message: `expected a date on or after ${h.date}, found ${h.until}` });
  });
}

/** Checks what the schema cannot: references, uniqueness, time zones, ranges. Assumes the schema passed. */
export function checkPolicy(p: InstitutionPolicy): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  const unique = (ids: string[], at: (i: number) => string, what: string): void => {
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (seen.has(id)) out.push({ path: at(i), message: `expected a unique ${what}, found ${shortValue(id)} twice` });
      seen.add(id);
    });
  };
  unique(p.partners.map((x) => x.server_name), (i) => `$.partners[${i}].server_name`, 'partner server name');
  unique(p.topics.map((x) => x.id), (i) => `$.topics[${i}].id`, 'topic id');
  unique(p.supporters.training.modules.map((x) => x.id), (i) => `$.supporters.training.modules[${i}].id`, 'training module id');
  p.partners.forEach((x, i) => {
    if (x.server_name === p.institution.server_name) out.push({ path: `$.partners[${i}].server_name`, message: 'expected a server other than the institution\'s own' });
  });
  const modules = new Set(p.supporters.training.modules.map((m) => m.id));
  const known = (id: string, at: string): void => {
    if (!modules.has(id)) out.push({ path: at, message: `expected a module listed in supporters.training.modules, found ${shortValue(id)}` });
  };
  p.topics.forEach((t, i) => t.needs_training.forEach((m, j) => known(m, `$.topics[${i}].needs_training[${j}]`)));
  p.supporters.training.required.forEach((m, j) => known(m, `$.supporters.training.required[${j}]`));
  if (p.supporters.capacity.default > p.supporters.capacity.max) {
    out.push({ path: '$.supporters.capacity.default', message: `expected at most capacity.max (${p.supporters.capacity.max}), found ${p.supporters.capacity.default}` });
  }
  const t = p.risk_detection?.thresholds;
  if (t && !(t.elevated <= t.high && t.high <= t.critical)) {
    out.push({ path: '$.risk_detection.thresholds', message: `expected elevated ≤ high ≤ critical, found ${t.elevated}, ${t.high}, ${t.critical}` });
  }
  checkSchedule(p.support_hours, '$.support_hours', out);
  checkSchedule(p.escalation.on_duty, '$.escalation.on_duty', out);
  return out;
}

export type PolicyValidation = { ok: true; policy: InstitutionPolicy } | { ok: false; problems: PolicyProblem[] };

/** Validates a parsed document: the schema first, then the cross-references. */
export function validatePolicy(doc: unknown): PolicyValidation {
  if (!Value.Check(PolicySchema, doc)) return { ok: false, problems: describeSchemaErrors(Value.Errors(PolicySchema, doc)) };
  const problems = checkPolicy(doc);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, policy: doc };
}

// ── questions asked of a policy ─────────────────────────────────────────────────────────────────

/** Server names whose users the institution trusts: its own and its partners'. */
export function trustedServerNames(p: InstitutionPolicy): string[] {
  return [p.institution.server_name, ...p.partners.map((x) => x.server_name)];
}

interface LocalMoment { weekday: Weekday; date: string; time: string }

function localMoment(at: Date, timeZone: string): LocalMoment {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, weekday: 'long', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: Intl.DateTimeFormatPartTypes): string => parts.find((x) => x.type === t)?.value ?? '';
  return {
    weekday: get('weekday').toLowerCase() as Weekday,
    date: `${get('year')}-${get('month')}-${get('day')}`,
    time: `${get('hour')}:${get('minute')}`,
  };
}

/** Whether a schedule is open at an instant (weekly hours in its zone, minus holidays). */
export function isScheduleOpen(s: Schedule, at: Date): boolean {
  const m = localMoment(at, s.time_zone);
  if ((s.holidays ?? []).some((h) => m.date >= h.date && m.date <= (h.until ?? h.date))) return false;
  return (s.weekly[m.weekday] ?? []).some((r) => m.time >= r.start && m.time < r.end);
}

/**
 * Crisis resources for a reader, most specific first: the region and language asked for, then the
 * region in any language, then the defaults in the language, then every default.
 */
export function crisisResourcesFor(p: InstitutionPolicy, opts: { region?: string; language?: string } = {}): CrisisResource[] {
  const all = p.crisis_resources;
  const lang = opts.language?.toLowerCase().split('-')[0];
  const tiers: ((r: CrisisResource) => boolean)[] = [
    (r) => r.region === opts.region && r.language.split('-')[0] === lang,
    (r) => r.region === opts.region,
    (r) => r.region === 'default' && r.language.split('-')[0] === lang,
    (r) => r.region === 'default',
  ];
  for (const tier of tiers) {
    const hit = all.filter(tier);
    if (hit.length > 0) return hit;
  }
  return all;
}
