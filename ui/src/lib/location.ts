// One position-provider interface. Phones use the geolocation plugin; the desktop webview
// uses its own geolocation (or the worker types a position in); tests and demos use a fixed
// fake position chosen by the shell (GRIDWALK_FAKE_LOCATION). Every fix carries its accuracy
// and time; "no fix" is a normal outcome, with the reason kept for the screen.
import type { Location } from './bindings';

export type NoFixReason = 'denied' | 'unavailable' | 'timeout';

export type FixResult = { fix: Location } | { fix: null; reason: NoFixReason };

export interface PositionProvider {
  /** Which provider this is, for the screen ("fake position", "GPS", …). */
  readonly kind: 'fake' | 'plugin' | 'webview';
  /** One fix, or why there is none, within `timeoutMs`. */
  current(timeoutMs?: number): Promise<FixResult>;
}

const DEFAULT_TIMEOUT = 15_000;

/** A fixed position from the shell, timed when it is asked for. */
export class FakeProvider implements PositionProvider {
  readonly kind = 'fake' as const;
  constructor(private readonly fetchFix: () => Promise<Location | null>) {}

  async current(): Promise<FixResult> {
    const fix = await this.fetchFix();
    return fix ? { fix } : { fix: null, reason: 'unavailable' };
  }
}

/** The webview's `navigator.geolocation` (desktop). */
export class WebviewProvider implements PositionProvider {
  readonly kind = 'webview' as const;
  constructor(
    private readonly geolocation: Geolocation | undefined = globalThis.navigator?.geolocation,
  ) {}

  current(timeoutMs = DEFAULT_TIMEOUT): Promise<FixResult> {
    const geo = this.geolocation;
    if (!geo) return Promise.resolve({ fix: null, reason: 'unavailable' });
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ fix: null, reason: 'timeout' }), timeoutMs + 500);
      geo.getCurrentPosition(
        (position) => {
          clearTimeout(timer);
          resolve({ fix: fromCoords(position.coords, position.timestamp) });
        },
        (error) => {
          clearTimeout(timer);
          resolve({ fix: null, reason: reasonOf(error.code) });
        },
        { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 30_000 },
      );
    });
  }
}

/** The Tauri geolocation plugin (Android/iOS only). */
export class PluginProvider implements PositionProvider {
  readonly kind = 'plugin' as const;

  async current(timeoutMs = DEFAULT_TIMEOUT): Promise<FixResult> {
    try {
      const plugin = await import('@tauri-apps/plugin-geolocation');
      let permission = await plugin.checkPermissions();
      if (permission.location !== 'granted') permission = await plugin.requestPermissions(['location']);
      if (permission.location !== 'granted') return { fix: null, reason: 'denied' };
      const position = await plugin.getCurrentPosition({
        enableHighAccuracy: true,
        timeout: timeoutMs,
        maximumAge: 30_000,
      });
      return { fix: fromCoords(position.coords, position.timestamp) };
    } catch {
      return { fix: null, reason: 'unavailable' };
    }
  }
}

function reasonOf(code: number): NoFixReason {
  // GeolocationPositionError: 1 PERMISSION_DENIED, 2 POSITION_UNAVAILABLE, 3 TIMEOUT.
  return code === 1 ? 'denied' : code === 3 ? 'timeout' : 'unavailable';
}

function fromCoords(
  coords: { latitude: number; longitude: number; accuracy: number },
  timestamp: number,
): Location {
  return {
    lat: coords.latitude,
    lon: coords.longitude,
    accuracy_m: Number.isFinite(coords.accuracy) ? coords.accuracy : null,
    at: new Date(timestamp || Date.now()).toISOString(),
  };
}

/** A position typed in by hand: no accuracy, timed now. Refuses impossible coordinates. */
export function manualFix(lat: number, lon: number, now: Date = new Date()): Location | null {
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return null;
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  return { lat, lon, accuracy_m: null, at: now.toISOString() };
}

/** Great-circle distance in metres (for display; the check itself runs in Rust). */
export function distanceM(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const h =
    Math.sin(((b.lat - a.lat) * rad) / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(((b.lon - a.lon) * rad) / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The fix moved by hand to `to` (GPS was poor): placed by hand (no accuracy), with the
 *  phone's own fix kept — the first one, however often the pin is moved. */
export function adjusted(fix: Location, to: { lat: number; lon: number }): Location {
  const original = fix.adjusted_from ?? { lat: fix.lat, lon: fix.lon, accuracy_m: fix.accuracy_m };
  return { ...fix, lat: to.lat, lon: to.lon, accuracy_m: null, adjusted_from: original };
}

/** How far a moved position is from the phone's own fix, in metres (null when not moved). */
export function movedBy(fix: Location): number | null {
  const from = fix.adjusted_from;
  if (!from || from.lat === null || from.lon === null || fix.lat === null || fix.lon === null) return null;
  return distanceM({ lat: from.lat, lon: from.lon }, { lat: fix.lat, lon: fix.lon });
}

/** The provider for this build: fake when the shell says so, the plugin on phones, else
 * the webview. */
export function chooseProvider(
  source: { kind: 'device' } | { kind: 'fake' },
  mobile: boolean,
  fetchFake: () => Promise<Location | null>,
): PositionProvider {
  if (source.kind === 'fake') return new FakeProvider(fetchFake);
  return mobile ? new PluginProvider() : new WebviewProvider();
}

/** "39.90872, 116.39748" (numbers that did not survive JSON show as "?"). */
export function coordinates(fix: Location): string {
  const show = (n: number | null) => (n === null ? '?' : n.toFixed(5));
  return `${show(fix.lat)}, ${show(fix.lon)}`;
}
