import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { locale, merge, t, table, translate } from './index';

const SRC = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(svelte|ts)$/.test(name) && !name.endsWith('.test.ts') ? [path] : [];
  });
}

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the i18n table', () => {
  it('has both languages for every key, with the same placeholders', () => {
    for (const [key, [zh, en]] of Object.entries(table)) {
      expect(zh.trim(), key).not.toBe('');
      expect(en.trim(), key).not.toBe('');
      expect(placeholders(en), key).toEqual(placeholders(zh));
    }
  });

  it('knows every literal key the app uses', () => {
    const missing = new Set<string>();
    for (const file of sources(join(SRC, 'app')).concat(sources(join(SRC, 'lib')))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:\$t|\btr)\('([a-z_][\w.-]*)'/g)) {
        if (!(m[1] in table) && m[1] !== 'key') missing.add(`${m[1]} (${file})`);
      }
    }
    expect([...missing]).toEqual([]);
  });

  it('knows every key built from a status, role or route name', () => {
    const families: Record<string, string[]> = {
      'incident.status': ['new', 'reported', 'dispatched', 'handling', 'returned', 'handled', 'verify_failed', 'verified', 'evaluated', 'closed'],
      'service.status': ['new', 'registered', 'transferred', 'returned', 'completed', 'rated'],
      level: ['grid', 'community', 'street', 'city'],
      role: ['grid_worker', 'grid_leader', 'desk', 'department', 'admin'],
      error: ['not_enrolled', 'no_reference', 'network', 'server', 'update_required', 'refused', 'not_found', 'invalid', 'media', 'storage', 'internal'],
      title: ['home', 'grid', 'building', 'household', 'visit', 'report', 'reports', 'incident', 'worklog', 'settings',
        'notices', 'notice', 'figures', 'handover',
        'catalogue', 'service', 'walkin', 'queue', 'board', 'rate', 'residents'],
      'incident.action': ['report', 'self_handle', 'dispatch', 'transfer', 'escalate', 'accept', 'return', 'feedback', 'evaluate', 'reopen', 'urge', 'close', 'comment'],
      satisfaction: ['satisfied', 'basically', 'dissatisfied'],
      'location.reason': ['denied', 'unavailable', 'timeout'],
      field: ['address', 'head', 'phone', 'notes', 'tags'],
      task: ['verify', 'handle'],
      'figures.period': ['week', 'month', 'quarter'],
      'handover': ['visits', 'reports', 'verifications', 'desk_requests', 'patrols', 'notes', 'remarks'],
    };
    for (const [prefix, names] of Object.entries(families)) {
      for (const name of names) expect(table, `${prefix}.${name}`).toHaveProperty([`${prefix}.${name}`]);
    }
  });

  it('refuses a key defined in two tables', () => {
    expect(() => merge({ a: { x: ['甲', 'A'] }, b: { x: ['乙', 'B'] } })).toThrow(/defined twice/);
  });

  it('fills parameters and falls back to the key', () => {
    const small = { greet: ['你好，{name}', 'Hello, {name}'] } as const;
    expect(translate('zh-CN', 'greet', { name: '王' }, small)).toBe('你好，王');
    expect(translate('en', 'greet', { name: 'Wang' }, small)).toBe('Hello, Wang');
    expect(translate('en', 'nope', undefined, small)).toBe('nope');
  });

  it('switches language through the store, zh-CN first', () => {
    expect(get(t)('tab.home')).toBe('首页');
    locale.set('en');
    expect(get(t)('tab.home')).toBe('Home');
    locale.set('zh-CN');
  });
});
