// The work queue of the closed loop (GET /api/queue, POST /api/incidents/{id}/events,
// POST /api/photos): its boxes, which actions a caller is offered, and the browser side of the
// photo pipeline (downscale to JPEG like the app does; the server never decodes images).

import type { EventRequest, IncidentAction, Level, Location, QueueBox } from './api.gen';

export type { Queue, QueueItem, ServiceQueueItem } from './api.gen';

/** The boxes the queue shows, in order (closed items are never listed). */
export const BOXES = ['new', 'accepted', 'due_soon', 'overdue', 'handled', 'returned'] as const satisfies readonly QueueBox[];
export type Box = (typeof BOXES)[number];

/** What a caller with `role` may do to a service request in `status` from the queue (the
 *  window's own steps are on the hall tablet). */
export function offeredServiceActions(role: string, status: string): string[] {
  if (role === 'department' && status === 'transferred') return ['complete', 'return'];
  return [];
}

/** The path of the queue, narrowed to a box and a search text. */
export function queuePath(box: Box | '', q: string): string {
  const params = new URLSearchParams();
  if (box) params.set('box', box);
  if (q.trim()) params.set('q', q.trim());
  const query = params.toString();
  return query ? `/api/queue?${query}` : '/api/queue';
}

/** The actions the queue offers. */
export type Offered = Extract<
  IncidentAction['type'],
  'accept' | 'feedback' | 'return' | 'dispatch' | 'transfer' | 'escalate' | 'urge' | 'close'
>;

/** What a caller with `role` may do to an item in `status` (the server decides for good). */
export function offeredActions(role: string, status: string): Offered[] {
  const open = ['reported', 'dispatched', 'handling', 'returned', 'verify_failed'].includes(status);
  if (role === 'department') {
    if (status === 'dispatched') return ['accept', 'return'];
    if (status === 'handling') return ['feedback', 'return', 'escalate'];
    return [];
  }
  const actions: Offered[] = [];
  if (['reported', 'returned'].includes(status)) actions.push('dispatch');
  if (['dispatched', 'handling', 'returned'].includes(status)) actions.push('transfer');
  if (['reported', 'dispatched', 'handling', 'returned'].includes(status)) actions.push('escalate');
  if (open && status !== 'reported') actions.push('urge');
  if (['verified', 'evaluated'].includes(status)) actions.push('close');
  return actions;
}

/** Whether the server's receipt time differs enough from the device's to be worth showing
 *  (more than a minute: a phone that was offline, or a clock that is off). */
export function receivedLater(at: string, received: string | undefined): boolean {
  return !!received && Math.abs(new Date(received).getTime() - new Date(at).getTime()) > 60_000;
}

/** The body of an event request: dispatch, transfer and escalation go to `level` and
 *  `department` with `days` working days, which the server counts on the deployment's
 *  calendar (the due time is its to set). */
export function requestOf(type: Offered, level: Level, department: string, days: number, note: string, photos: string[]): EventRequest {
  if (type === 'dispatch' || type === 'transfer' || type === 'escalate') {
    const action: IncidentAction = { type, level, department_id: department || null, assignee_id: null, due: null };
    return { action, note, photos, days: Math.max(0, Math.round(days)) };
  }
  return { action: { type }, note, photos, days: null };
}

/** Coordinates of a location with its accuracy, or null without a fix. */
export function placeText(location: Location | null): string | null {
  if (location?.lat == null || location.lon == null) return null;
  const accuracy = location.accuracy_m ? ` ±${Math.round(location.accuracy_m)} m` : '';
  return `${location.lat.toFixed(6)}, ${location.lon.toFixed(6)}${accuracy}`;
}

/** Actions that need a reason in the note. */
export function needsReason(action: string): boolean {
  return action === 'return' || action === 'reopen';
}

/** Actions that send the item to a level and department with a due time. */
export function isAssignment(action: string): boolean {
  return action === 'dispatch' || action === 'transfer' || action === 'escalate';
}

/** Width and height that fit `long` on the long edge, never enlarging. */
export function fitted(width: number, height: number, long: number): [number, number] {
  const scale = Math.min(1, long / Math.max(width, height));
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

/** A picked photo as a JPEG of at most `long` px on its long edge (EXIF orientation applied
 *  by the browser's decoder; metadata is not carried over by the canvas). */
export async function jpegOf(file: Blob, long: number): Promise<Blob> {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const [w, h] = fitted(bitmap.width, bitmap.height, long);
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('canvas unavailable');
  context.drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('JPEG encoding failed'))), 'image/jpeg', 0.8),
  );
}
