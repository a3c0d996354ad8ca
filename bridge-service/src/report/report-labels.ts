// The printable report's words, in English and German (the web client asks for the admin's language).
export type ReportLanguage = 'en' | 'de';

export interface ReportLabels {
  title(institution: string): string;
  period(fromWeek: string, toWeek: string, from: string, to: string, tz: string): string;
  generated(at: string): string;
  suppressionNote(min: number): string;
  suppressed: string;
  total: string;
  week: string;
  topic: string;
  module: string;
  byWeek: string;
  byTopic: string;
  byWeekAndTopic: string;
  byModule: string;
  themes: string;
  helpfulnessChart: string;
  noFeedback: string;
  targets: string;
  chartAllSuppressed: string;
  chartSummary(top: string, value: string, hidden: number, of: number): string;
  trainingIntro(asOf: string, days: number): string;
  section(id: string): string;
  sectionIntro(id: string): string;
  severity(id: string): string;
  measure(id: string): string;
}

const EN_MEASURES: Record<string, string> = {
  students_asking: 'Students asking (distinct)',
  requests: 'Requests', matches: 'Matches', matches_local: 'Matched by own supporters', matches_partner: 'Matched by partner supporters',
  served_for_partners: 'Partner requests served', wait_median_ms: 'Median wait', wait_p90_ms: 'Wait, 90th percentile',
  sessions: 'Sessions ended', length_median_ms: 'Median length', length_p90_ms: 'Length, 90th percentile',
  escalations: 'Escalations', responses: 'Counsellor responses', responses_within_target: 'Within target', responses_late: 'After target',
  responses_within_target_percent: 'Share within target', response_median_ms: 'Median response time', response_p90_ms: 'Response time, 90th percentile',
  helpfulness_mean: 'Mean helpfulness (1–5)', felt_safe_yes: 'Felt safe', felt_safe_no: 'Did not feel safe', felt_safe_percent: 'Share feeling safe',
  active_supporters: 'Active supporters', valid: 'Valid training', expiring: 'Expiring within 30 days',
  offering_supporters: 'Supporters offering the topic', qualified_supporters: 'Qualified supporters',
};
const DE_MEASURES: Record<string, string> = {
  students_asking: 'Anfragende Studierende (verschieden)',
  requests: 'Anfragen', matches: 'Vermittlungen', matches_local: 'Durch eigene Peers vermittelt', matches_partner: 'Durch Partner-Peers vermittelt',
  served_for_partners: 'Anfragen von Partnern übernommen', wait_median_ms: 'Wartezeit (Median)', wait_p90_ms: 'Wartezeit (90. Perzentil)',
  sessions: 'Beendete Gespräche', length_median_ms: 'Dauer (Median)', length_p90_ms: 'Dauer (90. Perzentil)',
  escalations: 'Eskalationen', responses: 'Antworten der Beratung', responses_within_target: 'Innerhalb der Zielzeit', responses_late: 'Nach der Zielzeit',
  responses_within_target_percent: 'Anteil innerhalb der Zielzeit', response_median_ms: 'Antwortzeit (Median)', response_p90_ms: 'Antwortzeit (90. Perzentil)',
  helpfulness_mean: 'Hilfreich (Mittel, 1–5)', felt_safe_yes: 'Fühlte sich sicher', felt_safe_no: 'Fühlte sich nicht sicher', felt_safe_percent: 'Anteil sicher',
  active_supporters: 'Aktive Peers', valid: 'Gültige Schulung', expiring: 'Läuft in 30 Tagen ab',
  offering_supporters: 'Peers, die das Thema anbieten', qualified_supporters: 'Qualifizierte Peers',
};

function measureOf(table: Record<string, string>, helpfulness: string, theme: string): (id: string) => string {
  return (id) => {
    const h = /^helpfulness_(\d)$/.exec(id);
    if (h) return `${helpfulness} ${h[1]}`;
    if (id.startsWith('theme:')) return `${theme}: ${id.slice(6)}`;
    return table[id] ?? id;
  };
}

const EN: ReportLabels = {
  title: (i) => `Peer support program report — ${i}`,
  period: (fw, tw, f, t, tz) => `Weeks ${fw} to ${tw} (${f} to ${t}, ${tz}).`,
  generated: (at) => `Generated ${at} UTC.`,
  suppressionNote: (n) => `To protect students, every figure computed from fewer than ${n} cases is withheld ("fewer than ${n}"), and so are figures from which a withheld one could be worked out by subtraction. No figure names a person.`,
  suppressed: 'fewer than 5', total: 'Total', week: 'Week', topic: 'Topic', module: 'Training module',
  byWeek: 'by week', byTopic: 'by topic', byWeekAndTopic: 'by week and topic', byModule: 'Supporters with valid training, by module', themes: 'Feedback themes',
  helpfulnessChart: 'How helpful was the session? (responses per score)',
  noFeedback: 'This bridge does not collect session feedback yet.',
  targets: 'Response-time targets of the policy:',
  chartAllSuppressed: 'Every value is withheld (fewer than 5 cases).',
  chartSummary: (top, v, hidden, of) => `Highest: ${top} with ${v}.${hidden > 0 ? ` ${hidden} of ${of} values are withheld.` : ''}`,
  trainingIntro: (d, days) => `A snapshot on ${d}: active supporters with valid training per module, those whose training runs out within ${days} days, and per topic those qualified to take it.`,
  section: (id) => ({ participation: 'Participation', requests: 'Requests and matches', sessions: 'Sessions', escalations: 'Escalations and counsellor response', feedback: 'Session feedback', training: 'Training coverage' })[id] ?? id,
  sectionIntro: (id) => ({
    participation: 'How many different students asked for support (counted, never listed).',
    requests: 'Requests for support by our students, how they were matched, and how long students waited.',
    sessions: 'Peer sessions that ended, and how long they lasted.',
    escalations: 'Consented escalations to a counsellor, and the time to a counsellor\'s first response against the policy\'s targets.',
    feedback: 'Anonymous feedback students gave after sessions.',
  } as Record<string, string>)[id] ?? '',
  severity: (s) => s,
  measure: measureOf(EN_MEASURES, 'Helpfulness', 'Theme'),
};

const DE: ReportLabels = {
  title: (i) => `Bericht zum Peer-Support-Programm — ${i}`,
  period: (fw, tw, f, t, tz) => `Wochen ${fw} bis ${tw} (${f} bis ${t}, ${tz}).`,
  generated: (at) => `Erstellt am ${at} UTC.`,
  suppressionNote: (n) => `Zum Schutz der Studierenden wird jede Zahl aus weniger als ${n} Fällen nicht gezeigt („weniger als ${n}“), ebenso Zahlen, aus denen sich eine verborgene durch Subtraktion errechnen ließe. Keine Zahl nennt eine Person.`,
  suppressed: 'weniger als 5', total: 'Gesamt', week: 'Woche', topic: 'Thema', module: 'Schulungsmodul',
  byWeek: 'nach Woche', byTopic: 'nach Thema', byWeekAndTopic: 'nach Woche und Thema', byModule: 'Peers mit gültiger Schulung, nach Modul', themes: 'Themen der Rückmeldungen',
  helpfulnessChart: 'Wie hilfreich war das Gespräch? (Antworten je Wert)',
  noFeedback: 'Diese Bridge erfasst noch keine Rückmeldungen zu Gesprächen.',
  targets: 'Zielzeiten der Richtlinie bis zur ersten Antwort:',
  chartAllSuppressed: 'Alle Werte sind verborgen (weniger als 5 Fälle).',
  chartSummary: (top, v, hidden, of) => `Höchster Wert: ${top} mit ${v}.${hidden > 0 ? ` ${hidden} von ${of} Werten sind verborgen.` : ''}`,
  trainingIntro: (d, days) => `Stand ${d}: aktive Peers mit gültiger Schulung je Modul, solche, deren Schulung in ${days} Tagen abläuft, und je Thema die dafür qualifizierten.`,
  section: (id) => ({ participation: 'Teilnahme', requests: 'Anfragen und Vermittlungen', sessions: 'Gespräche', escalations: 'Eskalationen und Antwort der Beratung', feedback: 'Rückmeldungen zu Gesprächen', training: 'Schulungsstand' })[id] ?? id,
  sectionIntro: (id) => ({
    participation: 'Wie viele verschiedene Studierende um Unterstützung gebeten haben (gezählt, nie aufgelistet).',
    requests: 'Anfragen unserer Studierenden, wie sie vermittelt wurden und wie lange sie warteten.',
    sessions: 'Beendete Peer-Gespräche und ihre Dauer.',
    escalations: 'Eskalationen mit Einwilligung an die Beratung und die Zeit bis zur ersten Antwort, gemessen an den Zielzeiten der Richtlinie.',
    feedback: 'Anonyme Rückmeldungen der Studierenden nach Gesprächen.',
  } as Record<string, string>)[id] ?? '',
  severity: (s) => ({ low: 'niedrig', medium: 'mittel', high: 'hoch', critical: 'kritisch' } as Record<string, string>)[s] ?? s,
  measure: measureOf(DE_MEASURES, 'Hilfreich', 'Thema'),
};

export function reportLabels(lang: ReportLanguage): ReportLabels {
  return lang === 'de' ? DE : EN;
}
