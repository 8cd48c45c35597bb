// What the map draws, as plain data (the one Leaflet wrapper is GeoMap.svelte): boundaries,
// buildings coloured by visit coverage, a worker's track split at its gaps. Positions are
// WGS-84 as stored; with no basemap configured nothing needs converting for display.

export interface LatLon {
  lat: number;
  lon: number;
}

/** A grid's or community's boundary. */
export interface Shape {
  id: string;
  kind: 'grid' | 'community';
  label: string;
  ring: LatLon[];
}

/** Visit coverage of a building this cycle: every household visited within its frequency,
 *  some, none yet, some past due (or none when it has no households). */
export type Coverage = 'visited' | 'partly' | 'due' | 'overdue' | 'none';
export const COVERAGES: readonly Coverage[] = ['visited', 'partly', 'due', 'overdue', 'none'];

/** A building (or any point) drawn as a dot. */
export interface Spot {
  id: string;
  at: LatLon;
  label: string;
  coverage: Coverage;
}

/** How an incident is drawn, most urgent first: open past its due time, waiting for the
 *  check on site, waiting for a handler, closed. */
export type Tone = 'overdue' | 'verify' | 'open' | 'closed';
export const TONES: readonly Tone[] = ['overdue', 'verify', 'open', 'closed'];

/** An incident at its fix. */
export interface Mark {
  id: string;
  at: LatLon;
  label: string;
  tone: Tone;
}

/** Marks drawn as one: where they are on screen, the most urgent tone among them. */
export interface Cluster {
  at: LatLon;
  marks: Mark[];
  tone: Tone;
}

/** My position and its accuracy radius (metres). */
export interface Me {
  at: LatLon;
  accuracy_m: number | null;
}

/** One point of a track. */
export interface TrackPoint extends LatLon {
  gap_before: boolean;
}

/** Counts of a building's households by visit state (as the due list gives them). */
export interface CoverageCounts {
  households: number;
  due: number;
  overdue: number;
}

/** Colours with at least 3:1 contrast against the map's light background. */
export const COVERAGE_COLOURS: Record<Coverage, string> = {
  visited: '#1b7a3a',
  partly: '#4d7c0f',
  due: '#a15c00',
  overdue: '#b3261e',
  none: '#5f6b76',
};

/** Incident colours. */
export const MARK_COLOURS: Record<Tone, string> = { overdue: '#b3261e', verify: '#c2185b', open: '#6a1b9a', closed: '#5f6b76' };

/** Groups marks that fall in the same `cell`-pixel square on screen (`project` gives a mark's
 *  screen position at the current zoom); a group's tone is its most urgent, the groups most
 *  urgent first (drawn last, on top). */
export function cluster(marks: Mark[], project: (p: LatLon) => { x: number; y: number }, cell = 48): Cluster[] {
  const cells = new Map<string, Mark[]>();
  for (const m of marks) {
    const p = project(m.at);
    const key = `${Math.floor(p.x / cell)}:${Math.floor(p.y / cell)}`;
    cells.set(key, [...(cells.get(key) ?? []), m]);
  }
  const rank = (t: Tone) => TONES.indexOf(t);
  return [...cells.values()]
    .map((group) => ({
      at: {
        lat: group.reduce((s, m) => s + m.at.lat, 0) / group.length,
        lon: group.reduce((s, m) => s + m.at.lon, 0) / group.length,
      },
      marks: group,
      tone: group.map((m) => m.tone).reduce((a, b) => (rank(b) < rank(a) ? b : a)),
    }))
    .sort((a, b) => rank(b.tone) - rank(a.tone));
}

/** A building's coverage: overdue if any household is; visited if none is due; partly if
 *  some were visited within their frequency; due if none was. */
export function coverageOf(counts: CoverageCounts | undefined): Coverage {
  if (!counts || counts.households === 0) return 'none';
  if (counts.overdue > 0) return 'overdue';
  if (counts.due === 0) return 'visited';
  return counts.due < counts.households ? 'partly' : 'due';
}

/** A building's colour for a date range: every household visited in it, some, none (drawn
 *  as 应访), or no households. */
export function rangeCoverageOf(counts: { households: number; visited: number } | undefined): Coverage {
  if (!counts || counts.households === 0) return 'none';
  if (counts.visited >= counts.households) return 'visited';
  return counts.visited > 0 ? 'partly' : 'due';
}

/** The track as lines: a new line starts after each gap; single points stay (as a dot). */
export function trackLines(points: TrackPoint[]): LatLon[][] {
  const lines: LatLon[][] = [];
  for (const p of points) {
    if (p.gap_before || lines.length === 0) lines.push([]);
    lines[lines.length - 1].push({ lat: p.lat, lon: p.lon });
  }
  return lines;
}

/** South-west and north-east corners around everything given, or null when nothing is. */
export function bounds(points: LatLon[]): [LatLon, LatLon] | null {
  if (points.length === 0) return null;
  let [s, w, n, e] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of points) {
    s = Math.min(s, p.lat);
    n = Math.max(n, p.lat);
    w = Math.min(w, p.lon);
    e = Math.max(e, p.lon);
  }
  return [{ lat: s, lon: w }, { lat: n, lon: e }];
}

/** A position whose coordinates are both numbers (the generated types allow null for NaN). */
export function known(p: { lat: number | null; lon: number | null } | null | undefined): LatLon | null {
  return p && typeof p.lat === 'number' && typeof p.lon === 'number' ? { lat: p.lat, lon: p.lon } : null;
}

/** The boundaries of grids and communities among `units` (those drawn or imported). */
export function shapesOf(
  units: { id: string; kind: string; name: string; boundary?: { lat: number | null; lon: number | null }[] | null }[],
): Shape[] {
  return units.flatMap((u) => {
    const ring = (u.boundary ?? []).map(known).filter((p) => p !== null);
    if (ring.length < 4 || (u.kind !== 'grid' && u.kind !== 'community')) return [];
    return [{ id: u.id, kind: u.kind, label: u.name, ring }];
  });
}

/** An online XYZ basemap as the admin API describes it (`TileSource`). */
export interface XyzSource {
  url: string;
  subdomains?: string;
}

/** The URL of one tile of an online source: `{z}/{x}/{y}` filled in, `{s}` one of its
 *  subdomains (chosen by the tile, as the server and devices choose it). */
export function tileUrl(source: XyzSource, z: number, x: number, y: number): string {
  const subs = [...(source.subdomains ?? '')];
  const s = subs.length ? subs[(x + y) % subs.length] : '';
  return source.url.replaceAll('{z}', String(z)).replaceAll('{x}', String(x)).replaceAll('{y}', String(y)).replaceAll('{s}', s);
}
