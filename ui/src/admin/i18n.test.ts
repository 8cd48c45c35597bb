// Every string key the admin web uses is in the one i18n table, in both languages.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { table } from '$lib/i18n';
import { percent } from './api';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(svelte|ts)$/.test(name) && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the admin web', () => {
  it('uses only keys the i18n table has', () => {
    const missing: string[] = [];
    for (const file of sources(__dirname)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\$t\('([a-z_][\w.-]*)'/g)) {
        if (!(m[1] in table)) missing.push(`${m[1]} (${file})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('has a key for every page, import outcome, export and role it builds a key for', () => {
    const keys = [
      ...['dashboard', 'queue', 'records', 'org', 'users', 'devices', 'reference', 'audit'].map((p) => `admin.nav.${p}`),
      ...['new', 'accepted', 'due_soon', 'overdue', 'handled', 'returned', 'closed'].map((b) => `admin.queue.box.${b}`),
      ...['ok', 'import_refused', 'preview_result'].map((c) => `admin.import.${c}`),
      ...['visits', 'incidents', 'service_requests', 'ledger'].map((k) => `admin.export.${k}`),
      ...['grid_worker', 'grid_leader', 'desk', 'department', 'admin'].map((r) => `role.${r}`),
      ...['incident', 'visit'].map((k) => `admin.records.kind.${k}`),
    ];
    for (const key of keys) expect(table, key).toHaveProperty([key]);
  });

  it('shows rates as percentages, and no rate as a dash', () => {
    expect(percent(0.8852)).toBe('88.5%');
    expect(percent(null)).toBe('—');
  });
});
