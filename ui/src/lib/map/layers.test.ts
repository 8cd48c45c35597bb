// The map's data helpers.
import { describe, expect, it } from 'vitest';
import { bounds, cluster, coverageOf, rangeCoverageOf, shapesOf, tileUrl, trackLines, type Mark } from './layers';

describe('map layers', () => {
  it('colours a building by its most urgent household', () => {
    expect(coverageOf(undefined)).toBe('none');
    expect(coverageOf({ households: 0, due: 0, overdue: 0 })).toBe('none');
    expect(coverageOf({ households: 30, due: 0, overdue: 0 })).toBe('visited');
    expect(coverageOf({ households: 30, due: 2, overdue: 0 })).toBe('partly');
    expect(coverageOf({ households: 30, due: 30, overdue: 0 })).toBe('due');
    expect(coverageOf({ households: 30, due: 2, overdue: 1 })).toBe('overdue');
  });

  it('breaks a track at its gaps', () => {
    const p = (lat: number, gap_before = false) => ({ lat, lon: 117, gap_before });
    expect(trackLines([])).toEqual([]);
    const lines = trackLines([p(1), p(2), p(3, true), p(4, true), p(5)]);
    expect(lines.map((l) => l.map((q) => q.lat))).toEqual([[1, 2], [3], [4, 5]]);
  });

  it('clusters marks that share a screen cell, most urgent tone on top', () => {
    const mark = (id: string, x: number, tone: Mark['tone']): Mark => ({ id, at: { lat: 0, lon: x }, label: id, tone });
    const flat = (p: { lat: number; lon: number }) => ({ x: p.lon, y: p.lat });
    const groups = cluster([mark('a', 1, 'open'), mark('b', 10, 'overdue'), mark('c', 100, 'closed'), mark('d', 47, 'verify')], flat, 48);
    expect(groups.map((g) => g.marks.map((m) => m.id))).toEqual([['c'], ['a', 'b', 'd']]);
    expect(groups.map((g) => g.tone)).toEqual(['closed', 'overdue']);
    expect(groups[1].at.lon).toBeCloseTo(58 / 3);
    expect(cluster([], flat)).toEqual([]);
  });

  it('draws the boundaries of grids and communities that have one', () => {
    const ring = [{ lat: 0, lon: 0 }, { lat: 0, lon: 1 }, { lat: 1, lon: 1 }, { lat: 0, lon: 0 }];
    const shapes = shapesOf([
      { id: 'g', kind: 'grid', name: '第一网格', boundary: ring },
      { id: 'c', kind: 'community', name: '幸福社区', boundary: null },
      { id: 's', kind: 'street', name: '新华街道', boundary: ring },
      { id: 'h', kind: 'grid', name: '半截', boundary: [{ lat: null, lon: 1 }, ...ring.slice(1)] },
    ]);
    expect(shapes).toEqual([{ id: 'g', kind: 'grid', label: '第一网格', ring }]);
  });

  it('bounds everything drawn', () => {
    expect(bounds([])).toBeNull();
    expect(bounds([{ lat: 39.1, lon: 117.2 }, { lat: 39.0, lon: 117.3 }, { lat: 39.05, lon: 117.1 }])).toEqual([
      { lat: 39.0, lon: 117.1 },
      { lat: 39.1, lon: 117.3 },
    ]);
  });
});

describe('tileUrl', () => {
  it('fills in the tile and picks a subdomain by it', () => {
    const source = { url: 'https://t{s}.example.cn/{z}/{x}/{y}.png?tk=KEY', subdomains: '0123' };
    expect(tileUrl(source, 16, 54101, 25017)).toBe('https://t2.example.cn/16/54101/25017.png?tk=KEY');
    expect(tileUrl({ url: 'http://127.0.0.1:9/{z}-{x}-{y}', subdomains: '' }, 3, 1, 2)).toBe('http://127.0.0.1:9/3-1-2');
  });
});

describe('rangeCoverageOf', () => {
  it('colours a building by the share of its households visited in the range', () => {
    expect(rangeCoverageOf({ households: 4, visited: 4 })).toBe('visited');
    expect(rangeCoverageOf({ households: 4, visited: 1 })).toBe('partly');
    expect(rangeCoverageOf({ households: 4, visited: 0 })).toBe('due');
    expect(rangeCoverageOf({ households: 0, visited: 0 })).toBe('none');
    expect(rangeCoverageOf(undefined)).toBe('none');
  });
});
