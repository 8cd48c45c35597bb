// The device's basemap for its maps: the downloaded offline map (离线地图) when held whole,
// else the online source the street configured (its tiles fetched once and kept on the
// device), both through the `map_tile` command; null while there is neither.
import { commands } from '$lib/api';
import type { CoordSystem } from '$lib/bindings';

export interface DeviceBasemap {
  source: (z: number, x: number, y: number) => Promise<string | null>;
  maxZoom: number;
  /** The system its pixels are drawn in: the map converts the geometry for display. */
  system: CoordSystem;
  attribution: string;
}

/** The basemap to draw, or null (none offered, or the package not downloaded yet). */
export async function deviceBasemap(): Promise<DeviceBasemap | null> {
  try {
    const b = await commands.basemapStatus();
    if (!b) return null;
    return {
      source: (z, x, y) => commands.mapTile(z, x, y),
      maxZoom: b.max_zoom,
      system: b.coordinate_system,
      attribution: b.attribution,
    };
  } catch {
    return null;
  }
}
