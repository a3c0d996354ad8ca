// The demo's institution policies: the shipped samples (bridge-service/policies/school-a.yaml and
// school-b.yaml) with the demo's server names, each naming the other as partner, and open around the
// clock (support hours, on-duty counsellors) so the demo works whenever someone tries it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

export type InstitutionId = 'school-a' | 'school-b';

export interface SamplePolicy {
  institution: { id: string; name: string; server_name: string };
  partners?: { server_name: string; institution_id: string; name: string }[];
  topics: { id: string; label: string; needs_training?: string[] }[];
  supporters: { training: { modules: { id: string; min_version: number; file?: string }[]; required?: string[] } };
  escalation: { counsellor_team: string; on_duty: { time_zone: string; weekly: unknown } };
  support_hours: { time_zone: string; weekly: unknown; holidays?: unknown };
  rate_limits?: { support_requests_per_hour?: number };
  [key: string]: unknown;
}

const WEEK = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const allWeek = (): Record<string, { start: string; end: string }[]> => Object.fromEntries(WEEK.map((d) => [d, [{ start: '00:00', end: '24:00' }]]));

/** The sample policy of `id`, adapted to the demo's server names. */
export function demoPolicy(root: string, id: InstitutionId, own: string, partner: { serverName: string; id: InstitutionId; name: string }): SamplePolicy {
  const doc = parse(readFileSync(join(root, 'bridge-service', 'policies', `${id}.yaml`), 'utf8')) as SamplePolicy;
  doc.institution.server_name = own;
  doc.partners = [{ server_name: partner.serverName, institution_id: partner.id, name: partner.name }];
  doc.support_hours = { time_zone: doc.support_hours.time_zone, weekly: allWeek() };
  doc.escalation.on_duty = { time_zone: doc.escalation.on_duty.time_zone, weekly: allWeek() };
  // Someone trying the demo asks more than the sample's few requests an hour.
  doc.rate_limits = { ...doc.rate_limits, support_requests_per_hour: Math.max(doc.rate_limits?.support_requests_per_hour ?? 0, 30) };
  // The demo writes the policy elsewhere: its training module files are named by absolute path.
  for (const m of doc.supporters.training.modules) if (m.file !== undefined) m.file = join(root, 'bridge-service', 'policies', m.file);
  return doc;
}

export function policyYaml(id: InstitutionId, doc: SamplePolicy): string {
  return `# Written by \`npm start\` from bridge-service/policies/${id}.yaml (server names of this demo, open\n`
    + '# around the clock); rewritten at every start, so edit the sample instead.\n'
    + stringify(doc);
}

/** Training records that are valid today for every module the policy knows (completed 30 days ago). */
export function validTraining(policy: SamplePolicy, now = Date.now()): { module: string; version: number; completed: string }[] {
  const completed = new Date(now - 30 * 86_400_000).toISOString().slice(0, 10);
  return policy.supporters.training.modules.map((m) => ({ module: m.id, version: m.min_version, completed }));
}
