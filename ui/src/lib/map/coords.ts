// The coordinate systems of maps in China (issue 15), ported from shared/src/coords.rs with the
// same formulas and constants. Everything is stored in WGS-84; Chinese basemaps draw in GCJ-02
// (AMap, Tencent) or BD-09 (Baidu), so what is drawn on them is converted for display only.
// GCJ-02 is the identity outside mainland China; its inverse iterates the forward formula.

import type { CoordSystem } from '../bindings';

/** A map coordinate system, as the Rust `CoordSystem` serialises. */
export type CoordinateSystem = CoordSystem;

/** A position: latitude and longitude in degrees. */
export interface Point {
  lat: number;
  lon: number;
}

/** Krasovsky 1940 semi-major axis (m) and first eccentricity squared, as GCJ-02 uses them. */
const A = 6_378_245.0;
const EE = 0.006_693_421_622_965_943;
/** BD-09's own rotation and scale constant. */
const BD_PI = (Math.PI * 3000.0) / 180.0;
const { PI, sin, cos, sqrt, abs, atan2 } = Math;

/** Whether GCJ-02 applies here (a rough box around mainland China, Hong Kong, Macau, Taiwan). */
export function inChina(p: Point): boolean {
  return p.lon >= 72.004 && p.lon <= 137.8347 && p.lat >= 0.8293 && p.lat <= 55.8271;
}

function latShift(x: number, y: number): number {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x));
  r += ((20.0 * sin(6.0 * x * PI) + 20.0 * sin(2.0 * x * PI)) * 2.0) / 3.0;
  r += ((20.0 * sin(y * PI) + 40.0 * sin((y / 3.0) * PI)) * 2.0) / 3.0;
  r += ((160.0 * sin((y / 12.0) * PI) + 320.0 * sin((y * PI) / 30.0)) * 2.0) / 3.0;
  return r;
}

function lonShift(x: number, y: number): number {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x));
  r += ((20.0 * sin(6.0 * x * PI) + 20.0 * sin(2.0 * x * PI)) * 2.0) / 3.0;
  r += ((20.0 * sin(x * PI) + 40.0 * sin((x / 3.0) * PI)) * 2.0) / 3.0;
  r += ((150.0 * sin((x / 12.0) * PI) + 300.0 * sin((x / 30.0) * PI)) * 2.0) / 3.0;
  return r;
}

/** WGS-84 → GCJ-02 (the identity outside China). */
export function wgs84ToGcj02(p: Point): Point {
  if (!inChina(p)) return p;
  const [x, y] = [p.lon - 105.0, p.lat - 35.0];
  const rad = (p.lat / 180.0) * PI;
  const magic = 1.0 - EE * sin(rad) * sin(rad);
  const sqrtMagic = sqrt(magic);
  const dLat = (latShift(x, y) * 180.0) / (((A * (1.0 - EE)) / (magic * sqrtMagic)) * PI);
  const dLon = (lonShift(x, y) * 180.0) / ((A / sqrtMagic) * cos(rad) * PI);
  return { lat: p.lat + dLat, lon: p.lon + dLon };
}

/** GCJ-02 → WGS-84, by fixed-point iteration of the forward formula (residual below 1e-9°). */
export function gcj02ToWgs84(p: Point): Point {
  if (!inChina(p)) return p;
  let guess = p;
  for (let i = 0; i < 30; i++) {
    const image = wgs84ToGcj02(guess);
    const [eLat, eLon] = [image.lat - p.lat, image.lon - p.lon];
    guess = { lat: guess.lat - eLat, lon: guess.lon - eLon };
    if (abs(eLat) < 1e-10 && abs(eLon) < 1e-10) break;
  }
  return guess;
}

/** GCJ-02 → BD-09. */
export function gcj02ToBd09(p: Point): Point {
  const [x, y] = [p.lon, p.lat];
  const z = sqrt(x * x + y * y) + 0.000_02 * sin(y * BD_PI);
  const theta = atan2(y, x) + 0.000_003 * cos(x * BD_PI);
  return { lat: z * sin(theta) + 0.006, lon: z * cos(theta) + 0.0065 };
}

/** BD-09 → GCJ-02 (closed form, not exact: the round trip closes to under 2e-6°, 0.2 m). */
export function bd09ToGcj02(p: Point): Point {
  const [x, y] = [p.lon - 0.0065, p.lat - 0.006];
  const z = sqrt(x * x + y * y) - 0.000_02 * sin(y * BD_PI);
  const theta = atan2(y, x) - 0.000_003 * cos(x * BD_PI);
  return { lat: z * sin(theta), lon: z * cos(theta) };
}

/** A stored (WGS-84) position as drawn on a basemap in `system`. */
export function toDisplay(p: Point, system: CoordinateSystem): Point {
  if (system === 'gcj02') return wgs84ToGcj02(p);
  if (system === 'bd09') return gcj02ToBd09(wgs84ToGcj02(p));
  return p;
}

/** A position picked on a basemap in `system` (a tap, a dragged pin) as stored: WGS-84. */
export function fromDisplay(p: Point, system: CoordinateSystem): Point {
  if (system === 'gcj02') return gcj02ToWgs84(p);
  if (system === 'bd09') return gcj02ToWgs84(bd09ToGcj02(p));
  return p;
}
