// Weeks as the hand-over pages step through them: ISO dates (YYYY-MM-DD), whole days.

/** The ISO date `days` after `date` (before, when negative). */
export function shiftDate(date: string, days: number): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
