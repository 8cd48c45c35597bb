// What the desk lists show: the service catalogue search, the desk queue tabs and the
// incident board filters. Pure functions, unit-tested.
import type { IncidentRow, ServiceItem, ServiceRequestRow } from '$lib/bindings';
import { incidentIsOpen, isOverdue } from '../names';

/** Catalogue items whose name or category contains `query`, in `category` if given. */
export function searchCatalogue(items: ServiceItem[], query: string, category: string | null): ServiceItem[] {
  const q = query.trim().toLowerCase();
  return items.filter(
    (item) =>
      (category === null || item.category === category) &&
      (q === '' || item.name.toLowerCase().includes(q) || item.category.toLowerCase().includes(q)),
  );
}

/** Catalogue categories in first-seen order. */
export function categoriesOf(items: ServiceItem[]): string[] {
  return [...new Set(items.map((i) => i.category))];
}

export type QueueTab = 'mine' | 'overdue' | 'open' | 'done';

export function requestIsOpen(row: ServiceRequestRow): boolean {
  return ['new', 'registered', 'transferred', 'returned'].includes(row.status);
}

/** The desk queue: mine (open, I am responsible), overdue (open, past due), all open, done. */
export function queueView(rows: ServiceRequestRow[], me: string, tab: QueueTab, now = new Date()): ServiceRequestRow[] {
  switch (tab) {
    case 'mine':
      return rows.filter((r) => requestIsOpen(r) && r.responsible_id === me);
    case 'overdue':
      return rows.filter((r) => isOverdue(r.due, requestIsOpen(r), now));
    case 'open':
      return rows.filter(requestIsOpen);
    case 'done':
      return rows.filter((r) => !requestIsOpen(r));
  }
}

export type StatusFilter = 'all' | 'open' | 'handled' | 'closed';

export interface BoardFilter {
  grid: string | null;
  status: StatusFilter;
  overdueOnly: boolean;
}

/** The incident board: by grid, by status group, overdue only; overdue items first (the
 *  longest overdue at the top), then the rest as they came. */
export function boardView(rows: IncidentRow[], filter: BoardFilter, now = new Date()): IncidentRow[] {
  const shown = rows.filter((row) => {
    if (filter.grid && row.grid_id !== filter.grid) return false;
    const open = incidentIsOpen(row.status);
    if (filter.status === 'open' && !open) return false;
    if (filter.status === 'handled' && !['handled', 'verified'].includes(row.status)) return false;
    if (filter.status === 'closed' && !['evaluated', 'closed'].includes(row.status)) return false;
    if (filter.overdueOnly && !isOverdue(row.due, open, now)) return false;
    return true;
  });
  const overdue = (row: IncidentRow) => isOverdue(row.due, incidentIsOpen(row.status), now);
  const late = shown.filter(overdue).sort((a, b) => (a.due ?? '').localeCompare(b.due ?? ''));
  return [...late, ...shown.filter((row) => !overdue(row))];
}
