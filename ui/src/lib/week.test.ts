import { describe, expect, it } from 'vitest';
import { shiftDate, streetToday } from './week';

describe('shiftDate', () => {
  it('steps whole weeks across month and year ends', () => {
    expect(shiftDate('2026-11-30', 7)).toBe('2026-12-07');
    expect(shiftDate('2026-12-28', 7)).toBe('2027-01-04');
    expect(shiftDate('2026-03-02', -7)).toBe('2026-02-23');
  });
});

describe('streetToday', () => {
  it('is the day in China, not the UTC day', () => {
    // 17:00 UTC is already 01:00 the next day in Beijing.
    expect(streetToday(new Date('2026-03-01T17:00:00Z'))).toBe('2026-03-02');
    expect(streetToday(new Date('2026-03-01T15:59:00Z'))).toBe('2026-03-01');
  });
});
