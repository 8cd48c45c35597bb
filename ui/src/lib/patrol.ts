// The patrol's route (巡查轨迹): while a patrol runs the app asks the position provider for a
// fix every `everyMs` and keeps it when the worker has moved at least `minMetres`, or when
// `heartbeatMs` has passed without one (standing at a door still shows on the route). On a
// low battery that is not charging every interval stretches by `lowBatteryFactor`. Poor fixes
// (accuracy worse than `worstAccuracyM`) are dropped. Fixes go to the device's store, so the
// route is recorded offline like everything else.
import type { Location } from './bindings';
import type { PositionProvider } from './location';

export interface TrackPolicy {
  everyMs: number;
  minMetres: number;
  heartbeatMs: number;
  worstAccuracyM: number;
  lowBatteryLevel: number;
  lowBatteryFactor: number;
}

export const DEFAULT_POLICY: TrackPolicy = {
  everyMs: 30_000,
  minMetres: 25,
  heartbeatMs: 300_000,
  worstAccuracyM: 100,
  lowBatteryLevel: 0.2,
  lowBatteryFactor: 4,
};

/** What the Battery Status API tells (where the webview has it). */
export interface BatteryState {
  level: number;
  charging: boolean;
}

/** The last point kept: where and when (milliseconds). */
export interface Kept {
  lat: number;
  lon: number;
  atMs: number;
}

/** Great-circle distance in metres. */
export function metres(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** How much every interval stretches now (1, or the low-battery factor). */
export function stretch(battery: BatteryState | null, policy: TrackPolicy = DEFAULT_POLICY): number {
  return battery && !battery.charging && battery.level <= policy.lowBatteryLevel ? policy.lowBatteryFactor : 1;
}

/** Whether `fix`, taken at `nowMs`, goes on the route after `last`. */
export function keep(
  last: Kept | null,
  fix: Location,
  nowMs: number,
  battery: BatteryState | null,
  policy: TrackPolicy = DEFAULT_POLICY,
): boolean {
  if (fix.lat === null || fix.lon === null) return false;
  if (fix.accuracy_m !== null && fix.accuracy_m > policy.worstAccuracyM) return false;
  if (!last) return true;
  const factor = stretch(battery, policy);
  const elapsed = nowMs - last.atMs;
  if (elapsed >= policy.heartbeatMs * factor) return true;
  return elapsed >= policy.everyMs * factor && metres(last, { lat: fix.lat, lon: fix.lon }) >= policy.minMetres;
}

/** Records a running patrol's route: `tick` asks for one fix and saves it when it is kept;
 * `start` ticks now and then on the policy's (battery-stretched) interval until `stop`. */
export class RouteRecorder {
  private last: Kept | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Points saved since `start`. */
  saved = 0;

  constructor(
    private readonly provider: PositionProvider,
    private readonly save: (fix: Location) => Promise<void>,
    private readonly battery: () => Promise<BatteryState | null> = webviewBattery,
    private readonly policy: TrackPolicy = DEFAULT_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  get running(): boolean {
    return this.timer !== null;
  }

  /** One fix: saved when kept. Returns whether it was. */
  async tick(): Promise<boolean> {
    const result = await this.provider.current(10_000);
    if (!result.fix) return false;
    const at = this.now();
    if (!keep(this.last, result.fix, at, await this.battery(), this.policy)) return false;
    await this.save(result.fix);
    this.last = { lat: result.fix.lat as number, lon: result.fix.lon as number, atMs: at };
    this.saved += 1;
    return true;
  }

  /** Starts recording, the first point now (`from`: the point the patrol started with). */
  start(from: Kept | null = null): void {
    this.stop();
    this.last = from;
    this.saved = 0;
    const loop = async () => {
      try {
        await this.tick();
      } catch {
        // No fix, or the patrol ended elsewhere: try again on the next interval.
      }
      if (this.timer === null) return;
      const factor = stretch(await this.battery(), this.policy);
      this.timer = setTimeout(loop, this.policy.everyMs * factor);
    };
    this.timer = setTimeout(loop, this.policy.everyMs * stretch(null, this.policy));
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

type BatteryNavigator = Navigator & { getBattery?: () => Promise<BatteryState> };

/** The webview's battery (Chromium-based webviews; WebKit has none: `null`). */
export async function webviewBattery(): Promise<BatteryState | null> {
  const nav = globalThis.navigator as BatteryNavigator | undefined;
  try {
    const b = await nav?.getBattery?.();
    return b ? { level: b.level, charging: b.charging } : null;
  } catch {
    return null;
  }
}
