// The display conversions, against the same reference pairs as shared/src/coords/tests.rs.
import { describe, expect, it } from 'vitest';
import { bd09ToGcj02, fromDisplay, gcj02ToBd09, gcj02ToWgs84, toDisplay, wgs84ToGcj02, type Point } from './coords';

const at = (lat: number, lon: number): Point => ({ lat, lon });

/** Both coordinates within `degrees` of the expected ones. */
function expectClose(got: Point, want: Point, degrees: number) {
  expect(Math.abs(got.lat - want.lat), `lat of ${JSON.stringify(got)}`).toBeLessThan(degrees);
  expect(Math.abs(got.lon - want.lon), `lon of ${JSON.stringify(got)}`).toBeLessThan(degrees);
}

/** WGS-84 → GCJ-02 pairs published with eviltransform's tests: Shanghai, Shenzhen, Beijing. */
const GCJ_PAIRS: [Point, Point][] = [
  [at(31.1774276, 121.5272106), at(31.17530398364597, 121.531541859215)],
  [at(22.543847, 113.912316), at(22.540796131694766, 113.9171764808363)],
  [at(39.911954, 116.377817), at(39.91334545536069, 116.38404722455657)],
];

/** A spread of Chinese cities, from Sanya to Harbin and Ürümqi to the east coast. */
const CITIES = [18.25, 23.1, 30.27, 39.9, 45.75].flatMap((lat) => [87.6, 104.06, 113.26, 120.15, 126.63].map((lon) => at(lat, lon)));

describe('map coordinate systems', () => {
  it('converts WGS-84 to GCJ-02 as published', () => {
    for (const [wgs, gcj] of GCJ_PAIRS) {
      expectClose(wgs84ToGcj02(wgs), gcj, 1e-9);
      expectClose(toDisplay(wgs, 'gcj02'), gcj, 1e-9);
    }
  });

  it('inverts GCJ-02 to a tenth of a millimetre', () => {
    for (const [wgs, gcj] of GCJ_PAIRS) {
      expectClose(gcj02ToWgs84(gcj), wgs, 1e-9);
      expectClose(fromDisplay(gcj, 'gcj02'), wgs, 1e-9);
    }
    for (const p of CITIES) expectClose(fromDisplay(toDisplay(p, 'gcj02'), 'gcj02'), p, 1e-9);
  });

  it('matches the published BD-09 values and round trips to a fifth of a metre', () => {
    // coordtransform's example (wandergis/coordtransform, test/app.js) at 39.915 N, 116.404 E.
    const p = at(39.915, 116.404);
    expectClose(gcj02ToBd09(p), at(39.92133699351021, 116.41036949371029), 1e-9);
    expectClose(bd09ToGcj02(p), at(39.90865673957631, 116.39762729119315), 1e-9);
    expectClose(wgs84ToGcj02(p), at(39.91640428150164, 116.41024449916938), 1e-9);
    expectClose(toDisplay(p, 'bd09'), gcj02ToBd09(wgs84ToGcj02(p)), 1e-12);
    // BD-09's inverse is closed-form and not exact: 1e-6° (≈ 0.1 m) at the Rust test's points,
    // under 2e-6° (≈ 0.2 m) anywhere in China (1.15e-6° at Guangzhou's longitude, 39.9 N).
    for (const q of [at(29.2, 120.02), at(39.90872, 116.39748), at(22.54, 113.91)]) {
      expectClose(fromDisplay(toDisplay(q, 'bd09'), 'bd09'), q, 1e-6);
    }
    for (const q of CITIES) expectClose(fromDisplay(toDisplay(q, 'bd09'), 'bd09'), q, 2e-6);
  });

  it('moves nothing outside China or on a WGS-84 map', () => {
    for (const p of [at(48.8566, 2.3522), at(-33.87, 151.21), at(0, 0)]) {
      expect(wgs84ToGcj02(p)).toEqual(p);
      expect(gcj02ToWgs84(p)).toEqual(p);
      expect(toDisplay(p, 'gcj02')).toEqual(p);
      expect(fromDisplay(p, 'gcj02')).toEqual(p);
    }
    const beijing = at(39.90872, 116.39748);
    for (const p of [beijing, ...CITIES]) {
      expect(toDisplay(p, 'wgs84')).toEqual(p);
      expect(fromDisplay(p, 'wgs84')).toEqual(p);
    }
    // In Beijing the GCJ-02 shift is a few hundred metres, BD-09's about a kilometre.
    const gcj = Math.abs(toDisplay(beijing, 'gcj02').lon - beijing.lon);
    expect(gcj).toBeGreaterThan(0.005);
    expect(gcj).toBeLessThan(0.01);
    expect(Math.abs(toDisplay(beijing, 'bd09').lon - beijing.lon)).toBeGreaterThan(0.01);
  });
});
