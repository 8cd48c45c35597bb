// How the device's screens name and tone incidents.
import { describe, expect, it } from 'vitest';
import { mapTone } from './names';

describe('map tones', () => {
  it('tones an incident by its state and due time', () => {
    const now = new Date('2026-03-02T00:00:00Z');
    expect(mapTone('handling', '2026-03-01T00:00:00Z', false, now)).toBe('overdue');
    expect(mapTone('handling', '2026-03-03T00:00:00Z', false, now)).toBe('open');
    expect(mapTone('reported', null, false, now)).toBe('open');
    expect(mapTone('handled', '2026-03-01T00:00:00Z', false, now)).toBe('verify');
    expect(mapTone('dispatched', null, true, now)).toBe('verify');
    expect(mapTone('closed', '2026-03-01T00:00:00Z', false, now)).toBe('closed');
  });

});
