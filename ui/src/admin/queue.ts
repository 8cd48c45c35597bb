// The work queue of the closed loop (GET /api/queue, POST /api/incidents/{id}/events,
// POST /api/photos): its types, which actions a caller is offered, and the browser side of the
// photo pipeline (downscale to JPEG like the app does; the server never decodes images).

export const BOXES = ['new', 'accepted', 'due_soon', 'overdue', 'handled', 'returned'] as const;
export type Box = (typeof BOXES)[number];

export interface QueueEvent {
  id: string;
  at: string;
  by: string;
  action: { type: string; [field: string]: unknown };
  note: string;
  photos: string[];
  /** Where it was done (the check on site), when the phone had a fix. */
  location?: { lat: number; lon: number; accuracy_m: number | null } | null;
}

export interface QueueItem {
  id: string;
  grid_id: string;
  category: string;
  description: string;
  status: string;
  level: string;
  department_id: string | null;
  reported_at: string | null;
  due: string | null;
  /** Accept by (受理时限), while it waits to be accepted. */
  accept_due: string | null;
  /** Not accepted by `accept_due` (受理超时). */
  late_to_accept: boolean;
  box: Box;
  urges: number;
  grid: string;
  department: string | null;
  names: Record<string, string>;
  record: {
    photos: string[];
    audio: string[];
    location: { lat: number; lon: number; accuracy_m: number | null } | null;
    events: QueueEvent[];
    received?: Record<string, string>;
  };
}

/** One event of a walk-in service request. */
export interface ServiceQueueEvent {
  id: string;
  at: string;
  by: string;
  action: { type: string; [field: string]: unknown };
  note: string;
}

/** A walk-in service request (办事登记) in the queue. */
export interface ServiceQueueItem {
  id: string;
  community_id: string;
  item_id: string;
  item: string;
  resident_name: string;
  status: string;
  department_id: string | null;
  department: string | null;
  due: string | null;
  registered_at: string | null;
  box: Box;
  community: string;
  names: Record<string, string>;
  record: { events: ServiceQueueEvent[] };
}

export interface Queue {
  counts: Partial<Record<Box | 'open', number>>;
  items: QueueItem[];
  services: ServiceQueueItem[];
}

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

/** What a caller with `role` may do to an item in `status` (the server decides for good). */
export function offeredActions(role: string, status: string): string[] {
  const open = ['reported', 'dispatched', 'handling', 'returned', 'verify_failed'].includes(status);
  if (role === 'department') {
    if (status === 'dispatched') return ['accept', 'return'];
    if (status === 'handling') return ['feedback', 'return', 'escalate'];
    return [];
  }
  const actions: string[] = [];
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
