import { describe, expect, it, vi } from 'vitest';
import { adjusted, chooseProvider, distanceM, FakeProvider, manualFix, movedBy, WebviewProvider } from './location';

function geolocation(result: { coords?: GeolocationCoordinates; code?: number }): Geolocation {
  return {
    getCurrentPosition: (ok: PositionCallback, fail?: PositionErrorCallback | null) => {
      if (result.coords) ok({ coords: result.coords, timestamp: Date.UTC(2026, 2, 2, 1) } as GeolocationPosition);
      else fail?.({ code: result.code ?? 2 } as GeolocationPositionError);
    },
  } as unknown as Geolocation;
}

describe('position providers', () => {
  it('the fake provider returns the shell fix, or no fix', async () => {
    const fix = { lat: 39.9, lon: 116.4, accuracy_m: 8, at: '2026-03-02T01:00:00.000Z' };
    expect(await new FakeProvider(async () => fix).current()).toEqual({ fix });
    expect(await new FakeProvider(async () => null).current()).toEqual({ fix: null, reason: 'unavailable' });
  });

  it('the webview provider records accuracy and time', async () => {
    const coords = { latitude: 39.91, longitude: 116.39, accuracy: 12.5 } as GeolocationCoordinates;
    const result = await new WebviewProvider(geolocation({ coords })).current();
    expect(result).toEqual({
      fix: { lat: 39.91, lon: 116.39, accuracy_m: 12.5, at: '2026-03-02T01:00:00.000Z' },
    });
  });

  it('the webview provider reports why there is no fix', async () => {
    expect(await new WebviewProvider(geolocation({ code: 1 })).current()).toEqual({ fix: null, reason: 'denied' });
    expect(await new WebviewProvider(geolocation({ code: 3 })).current()).toEqual({ fix: null, reason: 'timeout' });
    expect(await new WebviewProvider(undefined).current()).toEqual({ fix: null, reason: 'unavailable' });
  });

  it('times out if the webview never answers', async () => {
    vi.useFakeTimers();
    const silent = { getCurrentPosition: () => {} } as unknown as Geolocation;
    const pending = new WebviewProvider(silent).current(1000);
    vi.advanceTimersByTime(2000);
    expect(await pending).toEqual({ fix: null, reason: 'timeout' });
    vi.useRealTimers();
  });

  it('manual entry has no accuracy and refuses impossible positions', () => {
    const now = new Date('2026-03-02T01:00:00Z');
    expect(manualFix(39.9, 116.4, now)).toEqual({ lat: 39.9, lon: 116.4, accuracy_m: null, at: now.toISOString() });
    expect(manualFix(91, 0, now)).toBeNull();
    expect(manualFix(Number.NaN, 0, now)).toBeNull();
  });

  it('chooses fake, plugin or webview', () => {
    const none = async () => null;
    expect(chooseProvider({ kind: 'fake' }, false, none).kind).toBe('fake');
    expect(chooseProvider({ kind: 'device' }, true, none).kind).toBe('plugin');
    expect(chooseProvider({ kind: 'device' }, false, none).kind).toBe('webview');
  });
});

describe('a position moved by hand', () => {
  const gps = { lat: 39.1225, lon: 117.1895, accuracy_m: 250, at: '2026-03-02T01:00:00Z', adjusted_from: null };

  it('keeps the phone fix, the first one however often it is moved', () => {
    const once = adjusted(gps, { lat: 39.1245, lon: 117.1895 });
    expect(once).toMatchObject({ lat: 39.1245, lon: 117.1895, accuracy_m: null, at: gps.at });
    expect(once.adjusted_from).toEqual({ lat: 39.1225, lon: 117.1895, accuracy_m: 250 });
    const twice = adjusted(once, { lat: 39.1235, lon: 117.1895 });
    expect(twice.adjusted_from).toEqual(once.adjusted_from);
    expect(movedBy(twice)).toBeCloseTo(111.2, 1);
    expect(movedBy(gps)).toBeNull();
  });

  it('measures along the sphere', () => {
    expect(distanceM({ lat: 30, lon: 120 }, { lat: 31, lon: 120 })).toBeCloseTo(111_195, 0);
    expect(distanceM({ lat: 30, lon: 120 }, { lat: 30, lon: 120 })).toBe(0);
  });
});
