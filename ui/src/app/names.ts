// Names for ids and codes from the reference data, and how statuses look.
import type { ReferenceData } from '$lib/bindings';
import type { Tone } from '$lib/map/layers';

export function categoryName(reference: ReferenceData | null, code: string): string {
  return reference?.categories.find((c) => c.code === code)?.name ?? code;
}

/** The user id the server writes its automatic events as (dispatch, 督办). */
export const SYSTEM_USER = '00000000-0000-0000-0000-000000000000';

export function userName(reference: ReferenceData | null, id: string | null | undefined): string {
  if (!id) return '—';
  if (id === SYSTEM_USER) return '网格通系统';
  return reference?.users.find((u) => u.id === id)?.name ?? id.slice(0, 8);
}

export function unitName(reference: ReferenceData | null, id: string | null | undefined): string {
  if (!id) return '—';
  return reference?.units.find((u) => u.id === id)?.name ?? id.slice(0, 8);
}

export function departmentName(reference: ReferenceData | null, id: string | null | undefined): string {
  if (!id) return '—';
  return reference?.departments.find((d) => d.id === id)?.name ?? id.slice(0, 8);
}

export function serviceName(reference: ReferenceData | null, id: string): string {
  return reference?.services.find((s) => s.id === id)?.name ?? id.slice(0, 8);
}

/** Chip tone of an incident status: open ones warn, finished ones are ok. */
export function incidentStatusTone(status: string): 'warn' | 'ok' | '' {
  if (['reported', 'dispatched', 'handling', 'returned', 'verify_failed'].includes(status)) return 'warn';
  if (['handled', 'verified', 'evaluated', 'closed'].includes(status)) return 'ok';
  return '';
}

/** Still waiting for someone to act (counts against the due time). */
export function incidentIsOpen(status: string): boolean {
  return ['new', 'reported', 'dispatched', 'handling', 'returned', 'verify_failed'].includes(status);
}

/** Past its due time and not done. */
export function isOverdue(due: string | null, open: boolean, now: Date = new Date()): boolean {
  return open && due !== null && new Date(due).getTime() < now.getTime();
}

/** How the maps draw an incident in `status`, due at `due` (as the server's incident map
 *  does): overdue when open past its due time, verify when handled (or `toVerify`: mine to
 *  check on site), closed when done, else open. */
export function mapTone(status: string, due: string | null, toVerify = false, now: Date = new Date()): Tone {
  if (isOverdue(due, incidentIsOpen(status), now)) return 'overdue';
  if (toVerify || status === 'handled') return 'verify';
  if (['verified', 'evaluated', 'closed'].includes(status)) return 'closed';
  return 'open';
}
