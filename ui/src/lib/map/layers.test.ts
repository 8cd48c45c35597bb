// The map's data helpers.
import { describe, expect, it } from 'vitest';
import { bounds, coverageOf, trackLines } from './layers';

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

  it('bounds everything drawn', () => {
    expect(bounds([])).toBeNull();
    expect(bounds([{ lat: 39.1, lon: 117.2 }, { lat: 39.0, lon: 117.3 }, { lat: 39.05, lon: 117.1 }])).toEqual([
      { lat: 39.0, lon: 117.1 },
      { lat: 39.1, lon: 117.3 },
    ]);
  });
});
