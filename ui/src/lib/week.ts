// Weeks as the hand-over pages step through them: ISO dates (YYYY-MM-DD), whole days.
import { TIME_ZONE } from './i18n';

/** The ISO date `days` after `date` (before, when negative). */
export function shiftDate(date: string, days: number): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Today's ISO date where the street is (the UIs' time zone), not the browser's UTC day. */
export function streetToday(now: Date = new Date()): string {
  // From the parts: a locale's whole format may differ between engines (WebKitGTK's en-CA
  // is not always YYYY-MM-DD).
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(now);
  const part = (type: string) => parts.find((p) => p.type === type)?.value.replace(/\D/g, '') ?? '';
  return `${part('year')}-${part('month').padStart(2, '0')}-${part('day').padStart(2, '0')}`;
}
