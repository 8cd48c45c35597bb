import { describe, expect, it } from 'vitest';
import type { OrgUnit, ServiceItem } from './api.gen';
import { blankRule, blankService, byCategory, defaultDays, lines, newId, unitPath } from './catalogues';

const units: OrgUnit[] = [
  { id: 's', kind: 'street', name: '新华街道', parent: null },
  { id: 'c1', kind: 'community', name: '幸福社区', parent: 's' },
  { id: 'g1', kind: 'grid', name: '第一网格', parent: 'c1' },
];

describe('reference-data forms', () => {
  it('splits a text box into trimmed, non-empty lines', () => {
    expect(lines(' 身份证原件\n\n户口簿 \r\n')).toEqual(['身份证原件', '户口簿']);
    expect(lines('')).toEqual([]);
  });

  it('makes distinct version-4 UUIDs without randomUUID', () => {
    const a = newId();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newId()).not.toBe(a);
  });

  it('names an area by its path below the root', () => {
    expect(unitPath(units, 'g1')).toBe('幸福社区 / 第一网格');
    expect(unitPath(units, 's')).toBe('新华街道');
    expect(unitPath(units, 'gone')).toBe('gone');
  });

  it('starts a routing rule at the community level over the whole area', () => {
    const rule = blankRule([{ code: 'env.garbage', name: '暴露垃圾', group: '环境卫生' }], units);
    expect(rule).toEqual({ category: 'env.garbage', area_id: 's', level: 'community', department_id: null, days: 3 });
    expect([defaultDays('grid'), defaultDays('street'), defaultDays('city')]).toEqual([1, 5, 1]);
    // A community admin sees their community and below: it is the widest area.
    expect(blankRule([], units.slice(1)).area_id).toBe('c1');
  });

  it('groups service items by category in first-seen order', () => {
    const item = (category: string): ServiceItem => ({ ...blankService(category), name: category });
    const items = [item('社会保障'), item('民政'), item('社会保障')];
    expect(byCategory(items)).toEqual([
      ['社会保障', [0, 2]],
      ['民政', [1]],
    ]);
    expect(items[0].id).not.toBe(items[2].id);
  });
});
