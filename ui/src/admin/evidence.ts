// The records-and-evidence page's pure helpers: API paths, which picture to show, and how
// missing uploads are described.

import type { EvidenceRecord, Media, VisitFlag } from './api.gen';

export type { EvidenceRecord, Media, MissingBlob } from './api.gen';

/** Filters of the records list. */
export interface RecordFilter {
  kind?: string;
  from?: string;
  to?: string;
  area?: string;
  limit?: number;
}

/** `/api/records?…` for a filter (empty values left out). */
export function recordsPath(filter: RecordFilter): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) {
    if (value !== undefined && value !== null && value !== '') q.set(key, String(value));
  }
  const query = q.toString();
  return query ? `/api/records?${query}` : '/api/records';
}

/** Days the records page shows when no range is chosen (the server's default too). */
export const DEFAULT_RANGE_DAYS = 30;

/** The records page's first range: the `DEFAULT_RANGE_DAYS` days up to `today`, as the
 *  YYYY-MM-DD values a date input holds (local calendar days). */
export function defaultRange(today: Date): { from: string; to: string } {
  const day = (d: Date) =>
    `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  const first = new Date(today.getFullYear(), today.getMonth(), today.getDate() - DEFAULT_RANGE_DAYS);
  return { from: day(first), to: day(today) };
}

/** Where the admin web downloads a blob (its thumbnail with `thumbnail`). */
export function blobPath(hash: string, thumbnail = false): string {
  return `/api/blobs/${hash}${thumbnail ? '?thumbnail=1' : ''}`;
}

/** The picture to show in a list: the thumbnail if one was uploaded, else the photo. */
export function previewPath(photo: Media): string | null {
  if (!photo.uploaded) return null;
  return blobPath(photo.hash, photo.thumbnail);
}

/** The first characters of a hash, enough to tell blobs apart on screen. */
export function shortHash(hash: string): string {
  return hash.slice(0, 10);
}

/** Byte count as text: 0 B, 12.3 KB, 4.5 MB. */
export function byteText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The heading of a record: its category for an incident, its household for a visit. */
export function recordTitle(record: EvidenceRecord): string {
  if (record.kind === 'incident') return record.category_name || record.category || '';
  return record.address || '';
}

/** Whether any of the record's evidence is still waiting for its upload. */
export function waitsForUploads(record: EvidenceRecord): boolean {
  return [...record.photos, ...record.audio].some((m) => !m.uploaded);
}

/** A visit check flag as an i18n key and its parameters (走访核验). */
export function flagText(flag: VisitFlag): [key: string, params: Record<string, number>] {
  switch (flag.flag) {
    case 'no_fix':
      return ['check.no_fix', {}];
    case 'too_far':
      return ['check.too_far', { n: flag.metres }];
    case 'poor_fix':
      return ['check.poor_fix', { n: flag.accuracy_m }];
    case 'adjusted':
      return ['check.adjusted', { n: flag.metres }];
    case 'too_short':
      return ['check.too_short', { n: flag.seconds }];
  }
}
