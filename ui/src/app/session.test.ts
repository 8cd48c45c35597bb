import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { get } from 'svelte/store';
import { afterEach, describe, expect, it } from 'vitest';
import { locale } from '$lib/i18n';
import { account, info, layout, offline, start, status } from './session';

function status_(role: string | null, pending = 0) {
  return {
    account: role
      ? {
          device_id: 'd',
          server_url: 'http://127.0.0.1:8080',
          user: { id: 'u', login: 'x', name: '王', role, scope_id: 's' },
        }
      : null,
    pending_changes: pending,
    last_sync: null,
    reference_version: 1,
    records: 0,
    conflict_copies: 0,
  };
}

function shell(role: string | null, language = 'en') {
  mockIPC((cmd) => {
    switch (cmd) {
      case 'app_info':
        return { version: '0.1.0', data_dir: '/tmp/x', default_server: null, location: { kind: 'device' }, mobile: false };
      case 'ui_settings':
        return { language };
      case 'sync_state':
        return { running: false, offline: true, last_error: null, last_attempt: null, last_report: null };
      case 'status':
        return status_(role, 2);
      case 'reference':
        return null;
      case 'plugin:event|listen':
        return 1;
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
}

afterEach(() => {
  clearMocks();
  locale.set('zh-CN');
});

describe('the session', () => {
  it('loads info, language, status and sync state through the typed commands', async () => {
    shell('grid_worker');
    await start();
    expect(get(info)?.version).toBe('0.1.0');
    expect(get(locale)).toBe('en');
    expect(get(status)?.pending_changes).toBe(2);
    expect(get(layout)).toBe('phone');
    expect(get(offline)).toBe(true);
  });

  it('gives desk workers the tablet layout and no account the enrolment screen', async () => {
    shell('desk');
    await start();
    expect(get(layout)).toBe('desk');
    shell(null);
    await start();
    expect(get(account)).toBeNull();
  });
});
