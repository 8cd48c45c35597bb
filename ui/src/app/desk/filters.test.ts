import { describe, expect, it } from 'vitest';
import type { IncidentRow, ServiceItem, ServiceRequestRow } from '$lib/bindings';
import { boardView, categoriesOf, queueView, searchCatalogue } from './filters';

const now = new Date('2026-03-05T04:00:00Z');
const past = '2026-03-04T15:59:59.000Z';
const future = '2026-03-09T15:59:59.000Z';

const item = (name: string, category: string): ServiceItem =>
  ({ id: name, name, category, materials: [], steps: [], time_limit_days: 3, department: '' }) as ServiceItem;
const request = (id: string, status: string, responsible: string, due: string | null): ServiceRequestRow =>
  ({ id, community_id: 'c', item_id: 'i', status, responsible_id: responsible, due }) as ServiceRequestRow;
const incident = (id: string, grid: string, status: string, due: string | null): IncidentRow =>
  ({ id, grid_id: grid, category: 'env.garbage', status, level: 'grid', department_id: null, due, reporter_id: 'w', updated_at: null }) as IncidentRow;

describe('desk filters', () => {
  it('searches the catalogue by name and category', () => {
    const items = [item('城乡居民医保参保登记', '社会保障'), item('居住证办理', '户籍'), item('高龄津贴申请', '社会保障')];
    expect(searchCatalogue(items, '医保', null).map((i) => i.name)).toEqual(['城乡居民医保参保登记']);
    expect(searchCatalogue(items, '社会', null)).toHaveLength(2);
    expect(searchCatalogue(items, '', '户籍').map((i) => i.name)).toEqual(['居住证办理']);
    expect(categoriesOf(items)).toEqual(['社会保障', '户籍']);
  });

  it('splits the desk queue into mine, overdue, open and done', () => {
    const rows = [
      request('a', 'registered', 'me', future),
      request('b', 'registered', 'other', past),
      request('c', 'completed', 'me', past),
      request('d', 'registered', 'me', past),
    ];
    const ids = (tab: Parameters<typeof queueView>[2]) => queueView(rows, 'me', tab, now).map((r) => r.id);
    expect(ids('mine')).toEqual(['a', 'd']);
    expect(ids('overdue')).toEqual(['b', 'd']);
    expect(ids('open')).toEqual(['a', 'b', 'd']);
    expect(ids('done')).toEqual(['c']);
  });

  it('filters the incident board by grid, status and overdue', () => {
    const rows = [
      incident('1', 'g1', 'reported', past),
      incident('2', 'g2', 'dispatched', future),
      incident('3', 'g1', 'handled', past),
      incident('4', 'g1', 'closed', null),
    ];
    const ids = (f: Parameters<typeof boardView>[1]) => boardView(rows, f, now).map((r) => r.id);
    expect(ids({ grid: null, status: 'all', overdueOnly: false })).toEqual(['1', '2', '3', '4']);
    expect(ids({ grid: 'g1', status: 'open', overdueOnly: false })).toEqual(['1']);
    expect(ids({ grid: null, status: 'all', overdueOnly: true })).toEqual(['1']);
    expect(ids({ grid: null, status: 'handled', overdueOnly: false })).toEqual(['3']);
    expect(ids({ grid: null, status: 'closed', overdueOnly: false })).toEqual(['4']);
  });

  it('puts overdue items first on the board, the longest overdue at the top', () => {
    const earlier = new Date(now.getTime() - 3 * 86_400_000).toISOString();
    const rows = [
      incident('1', 'g1', 'dispatched', future),
      incident('2', 'g1', 'handling', past),
      incident('3', 'g1', 'returned', earlier),
      incident('4', 'g1', 'closed', earlier),
    ];
    const ids = boardView(rows, { grid: null, status: 'all', overdueOnly: false }, now).map((r) => r.id);
    expect(ids).toEqual(['3', '2', '1', '4']);
  });
});
