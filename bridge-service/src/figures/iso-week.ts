// Calendar arithmetic for figures: local dates in the institution's time zone and ISO 8601 weeks
// (Monday first; week 1 holds the year's first Thursday). Dates are 'YYYY-MM-DD' strings, handled as
// UTC midnights so no daylight-saving shift can move a day.
const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local calendar date of an instant in a time zone. */
export function localDate(ts: number, timeZone: string): string {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(new Date(ts));
  const get = (t: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** 'YYYY-MM-DD' → ms at 00:00 UTC of that date. */
export function dateUtc(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

export function isValidDate(date: string): boolean {
  const t = dateUtc(date);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === date;
}

export function addDays(date: string, days: number): string {
  return new Date(dateUtc(date) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The Monday of the ISO week holding `date`. */
export function mondayOf(date: string): string {
  const dow = (new Date(dateUtc(date)).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return addDays(date, -dow);
}

/** 'YYYY-Www' of the ISO week holding `date`; its year is the year of that week's Thursday. */
export function isoWeekOf(date: string): string {
  const thursday = dateUtc(addDays(mondayOf(date), 3));
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The ISO weeks from the one holding `from` to the one holding `to`, in order. */
export function weeksBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = mondayOf(from); d <= to; d = addDays(d, 7)) out.push(isoWeekOf(d));
  return out;
}
