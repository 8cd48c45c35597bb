import { describe, expect, it } from 'vitest';
import type { Location } from './bindings';
import type { FixResult, PositionProvider } from './location';
import { DEFAULT_POLICY, keep, metres, RouteRecorder, stretch } from './patrol';

const at = (lat: number, lon: number, accuracy_m: number | null = 8): Location => ({
  lat, lon, accuracy_m, at: '2026-12-03T02:00:00Z',
});
// About 33 m north of the first point.
const NEAR = { lat: 39.9, lon: 116.4 };
const MOVED = { lat: 39.9003, lon: 116.4 };

describe('metres', () => {
  it('measures a known distance', () => {
    // 0.001° of latitude is about 111 m.
    expect(metres({ lat: 39.9, lon: 116.4 }, { lat: 39.901, lon: 116.4 })).toBeCloseTo(111.2, 0);
    expect(metres(NEAR, NEAR)).toBe(0);
  });
});

describe('keep', () => {
  const last = { ...NEAR, atMs: 0 };
  it('keeps the first good fix and drops poor or empty ones', () => {
    expect(keep(null, at(NEAR.lat, NEAR.lon), 0, null)).toBe(true);
    expect(keep(null, at(NEAR.lat, NEAR.lon, 250), 0, null)).toBe(false);
    expect(keep(null, { ...at(0, 0), lat: null }, 0, null)).toBe(false);
  });
  it('needs both the interval and the distance, or the heartbeat', () => {
    expect(keep(last, at(MOVED.lat, MOVED.lon), 10_000, null)).toBe(false);
    expect(keep(last, at(MOVED.lat, MOVED.lon), 30_000, null)).toBe(true);
    expect(keep(last, at(NEAR.lat, NEAR.lon + 0.00005), 60_000, null)).toBe(false);
    expect(keep(last, at(NEAR.lat, NEAR.lon), DEFAULT_POLICY.heartbeatMs, null)).toBe(true);
  });
  it('stretches every interval on a low battery that is not charging', () => {
    const low = { level: 0.15, charging: false };
    expect(stretch(low)).toBe(4);
    expect(stretch({ level: 0.15, charging: true })).toBe(1);
    expect(keep(last, at(MOVED.lat, MOVED.lon), 30_000, low)).toBe(false);
    expect(keep(last, at(MOVED.lat, MOVED.lon), 120_000, low)).toBe(true);
  });
});

describe('RouteRecorder', () => {
  it('saves the fixes it keeps, in order', async () => {
    const fixes: FixResult[] = [
      { fix: at(NEAR.lat, NEAR.lon) },
      { fix: at(NEAR.lat, NEAR.lon) },
      { fix: null, reason: 'timeout' },
      { fix: at(MOVED.lat, MOVED.lon) },
    ];
    const provider: PositionProvider = { kind: 'fake', current: async () => fixes.shift()! };
    const saved: Location[] = [];
    let clock = 0;
    const recorder = new RouteRecorder(provider, async (f) => void saved.push(f), async () => null,
      DEFAULT_POLICY, () => clock);
    expect(await recorder.tick()).toBe(true);
    clock = 40_000;
    expect(await recorder.tick()).toBe(false);
    expect(await recorder.tick()).toBe(false);
    expect(await recorder.tick()).toBe(true);
    expect(saved.map((f) => f.lat)).toEqual([NEAR.lat, MOVED.lat]);
    expect(recorder.saved).toBe(2);
  });
});
