// The downloaded offline map (离线地图) as a basemap for the device's maps: its tiles through
// the `map_tile` command, or null while no package is held whole.
import { commands } from '$lib/api';

export interface Basemap {
  source: (z: number, x: number, y: number) => Promise<string | null>;
  maxZoom: number;
}

/** The held tile package as a basemap, or null (none offered, or not downloaded yet). */
export async function offlineBasemap(): Promise<Basemap | null> {
  try {
    const s = await commands.tilePackageStatus();
    if (!s.complete || !s.package) return null;
    return { source: (z, x, y) => commands.mapTile(z, x, y), maxZoom: s.package.max_zoom };
  } catch {
    return null;
  }
}
