import { describe, expect, it } from 'vitest';
import {
  fitted, isAssignment, needsReason, offeredActions, offeredServiceActions, placeText, queuePath,
  receivedLater, requestOf,
} from './queue';

describe('the work queue', () => {
  it('builds its path from the box and the search text', () => {
    expect(queuePath('', '')).toBe('/api/queue');
    expect(queuePath('overdue', ' 垃圾 ')).toBe('/api/queue?box=overdue&q=%E5%9E%83%E5%9C%BE');
  });

  it('offers a department what the loop lets it do', () => {
    expect(offeredActions('department', 'dispatched')).toEqual(['accept', 'return']);
    expect(offeredActions('department', 'handling')).toEqual(['feedback', 'return', 'escalate']);
    expect(offeredActions('department', 'closed')).toEqual([]);
  });

  it('offers a department completing or returning a walk-in request sent to it', () => {
    expect(offeredServiceActions('department', 'transferred')).toEqual(['complete', 'return']);
    expect(offeredServiceActions('department', 'completed')).toEqual([]);
    expect(offeredServiceActions('admin', 'transferred')).toEqual([]);
  });

  it('offers community staff dispatch, transfer, escalation, urging and closing', () => {
    expect(offeredActions('admin', 'reported')).toEqual(['dispatch', 'escalate']);
    expect(offeredActions('admin', 'returned')).toEqual(['dispatch', 'transfer', 'escalate', 'urge']);
    expect(offeredActions('admin', 'verified')).toEqual(['close']);
  });

  it('knows which actions need a reason or an assignment', () => {
    expect(needsReason('return')).toBe(true);
    expect(needsReason('accept')).toBe(false);
    expect(isAssignment('transfer')).toBe(true);
  });

  it('shows the server\'s receipt time only when it is more than a minute off', () => {
    expect(receivedLater('2026-12-02T01:00:00Z', '2026-12-02T01:00:30Z')).toBe(false);
    expect(receivedLater('2026-12-02T01:00:00Z', '2026-12-02T03:00:00Z')).toBe(true);
    expect(receivedLater('2026-12-02T01:00:00Z', undefined)).toBe(false);
  });

  it('sends an assignment to a level and department with working days, other actions bare', () => {
    expect(requestOf('dispatch', 'street', 'd1', 5, '转城管', [])).toEqual({
      action: { type: 'dispatch', level: 'street', department_id: 'd1', assignee_id: null, due: null },
      note: '转城管', photos: [], days: 5,
    });
    expect(requestOf('escalate', 'city', '', -1, '', [])).toMatchObject({ action: { department_id: null }, days: 0 });
    expect(requestOf('accept', 'street', 'd1', 5, '', ['p'])).toEqual({ action: { type: 'accept' }, note: '', photos: ['p'], days: null });
  });

  it('writes a location as coordinates with its accuracy, and nothing without a fix', () => {
    const at = '2026-12-02T01:00:00Z';
    expect(placeText({ lat: 31.2304, lon: 121.4737, accuracy_m: 8.4, at })).toBe('31.230400, 121.473700 ±8 m');
    expect(placeText({ lat: 31.2304, lon: 121.4737, accuracy_m: null, at })).toBe('31.230400, 121.473700');
    expect(placeText({ lat: null, lon: 121.4737, accuracy_m: null, at })).toBeNull();
    expect(placeText(null)).toBeNull();
  });

  it('downscales to the long edge and never enlarges', () => {
    expect(fitted(4000, 3000, 1920)).toEqual([1920, 1440]);
    expect(fitted(3000, 4000, 320)).toEqual([240, 320]);
    expect(fitted(800, 600, 1920)).toEqual([800, 600]);
  });
});
