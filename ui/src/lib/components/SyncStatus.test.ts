import { fireEvent, render } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { SyncState } from '../bindings';
import SyncStatus from './SyncStatus.svelte';

const idle: SyncState = { running: false, offline: false, last_error: null, last_attempt: null, last_report: null, upload: null };

describe('SyncStatus', () => {
  it('says offline in plain words and keeps the pending count visible', () => {
    const state = { ...idle, offline: true, last_error: { kind: 'network', message: 'connection refused' } } as SyncState;
    const { getByTestId } = render(SyncStatus, { state, pending: 3, lastSync: null, offline: true, onSync: () => {} });
    expect(getByTestId('sync-status').textContent).toContain('离线');
    expect(getByTestId('pending-count').textContent).toContain('3');
  });

  it('explains a server error and shows the details', () => {
    const state = { ...idle, last_error: { kind: 'update_required', message: 'protocol 2' } } as SyncState;
    const { getByTestId } = render(SyncStatus, { state, pending: 0, lastSync: null, offline: false, onSync: () => {} });
    expect(getByTestId('sync-status').textContent).toContain('请更新应用');
    expect(getByTestId('sync-status').textContent).toContain('protocol 2');
  });

  it('shows progress and disables the button while syncing', () => {
    const { getByTestId } = render(SyncStatus, {
      state: { ...idle, running: true },
      pending: 1,
      lastSync: '2026-03-02T01:00:00.000Z',
      offline: false,
      onSync: () => {},
    });
    expect(getByTestId('sync-status').textContent).toContain('正在同步');
    expect((getByTestId('sync-now') as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows blob upload progress in megabytes while uploading', () => {
    const upload = { active: true, blobs_total: 3, blobs_done: 1, bytes_total: 3.4 * 1048576, bytes_sent: 1.2 * 1048576, current: null };
    const { getByTestId } = render(SyncStatus, {
      state: { ...idle, running: true, upload },
      pending: 0,
      lastSync: null,
      offline: false,
      onSync: () => {},
    });
    expect(getByTestId('sync-upload').textContent).toBe('正在上传照片和录音 1.2 / 3.4 MB');
    const bar = getByTestId('sync-status').querySelector('progress')!;
    expect(bar.value).toBeCloseTo(1.2 * 1048576);
  });

  it('syncs on demand', async () => {
    const onSync = vi.fn();
    const { getByTestId } = render(SyncStatus, { state: idle, pending: 0, lastSync: null, offline: false, onSync });
    await fireEvent.click(getByTestId('sync-now'));
    expect(onSync).toHaveBeenCalledOnce();
  });
});
