// Dates as the student's desk shows them: in the page's language, date and time of day.
/** A date and time in the page's language, e.g. "3 Mar 2026, 14:05". */
export function when(ts: number): string {
  const lang = document.documentElement.lang || undefined;
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ts));
}
