// Form helpers for the reference-data editors (categories, routing rules, service items): the
// server checks every save; these only turn form fields into the records it expects.
import type { IncidentCategory, Level, OrgUnit, RoutingRule, ServiceItem } from './api.gen';

/** Handling levels, lowest first. */
export const LEVELS: Level[] = ['grid', 'community', 'street', 'city'];

/** Working days to solve at a level (as the server's `Level::default_days`). */
export function defaultDays(level: Level): number {
  return { grid: 1, community: 3, street: 5, city: 1 }[level];
}

/** Non-empty trimmed lines of a text box (materials, steps). */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** A random (version 4) UUID; `crypto.randomUUID` is missing on plain-HTTP pages. */
export function newId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A unit's name with its ancestors below the root, e.g. "幸福社区 / 第一网格". */
export function unitPath(units: OrgUnit[], id: string): string {
  const byId = new Map(units.map((u) => [u.id, u]));
  const names: string[] = [];
  for (let u = byId.get(id); u; u = u.parent ? byId.get(u.parent) : undefined) {
    names.unshift(u.name);
    if (names.length > 8) break;
  }
  return names.length > 1 ? names.slice(1).join(' / ') : (names[0] ?? id);
}

/** A new category row. */
export function blankCategory(): IncidentCategory {
  return { code: '', name: '', group: '' };
}

/** A new routing rule: the first category, the widest area shown, the community level. */
export function blankRule(categories: IncidentCategory[], units: OrgUnit[]): RoutingRule {
  const shown = new Set(units.map((u) => u.id));
  const root = units.find((u) => !u.parent || !shown.has(u.parent));
  return {
    category: categories[0]?.code ?? '',
    area_id: root?.id ?? '',
    level: 'community',
    department_id: null,
    days: defaultDays('community'),
  };
}

/** A new service item in `category`. */
export function blankService(category: string): ServiceItem {
  return { id: newId(), category, name: '', materials: [], steps: [], time_limit_days: 0, department: '' };
}

/** Service items grouped by category, in first-seen order (for the editor's sections). */
export function byCategory(items: ServiceItem[]): [string, number[]][] {
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const list = groups.get(item.category) ?? [];
    list.push(i);
    groups.set(item.category, list);
  });
  return [...groups.entries()];
}
