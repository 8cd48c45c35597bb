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
  return new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}
