import { describe, expect, it } from 'vitest';
import { shiftDate } from './week';

describe('shiftDate', () => {
  it('steps whole weeks across month and year ends', () => {
    expect(shiftDate('2026-11-30', 7)).toBe('2026-12-07');
    expect(shiftDate('2026-12-28', 7)).toBe('2027-01-04');
    expect(shiftDate('2026-03-02', -7)).toBe('2026-02-23');
  });
});
