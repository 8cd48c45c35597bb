import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import Household from './Household.svelte';

const card = {
  household: {
    id: 'h1',
    grid_id: 'g1',
    building_id: 'b1',
    address: '幸福路18号1号楼1单元101',
    head: '孙文成',
    phone: '13036782454',
    tags: ['独居老人'],
    members: [{ id: 'm1', name: '孙文成', relation: '户主', birth_year: 1948, tags: [] }],
    notes: '',
  },
  conflicts: [{ field: 'phone', values: ['13036782454', '13900000000'] }],
  grid: null,
  building: null,
  visits: [
    { id: 'v1', started_at: '2026-03-02T01:00:00.000Z', worker: '夏梦', notes: '一切正常', answered: 5, photos: ['p1'], audio: ['a1'], follow_up: false, location: null },
  ],
  grid_open_incidents: [],
  draft: null,
};

afterEach(() => clearMocks());

describe('the household card', () => {
  it('shows both conflicting versions and keeps the one picked', async () => {
    const resolved: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'household_card') return card;
      if (cmd === 'resolve_conflict') {
        resolved.push(args);
        return null;
      }
      if (cmd === 'photo_thumbnail') return null;
      if (cmd === 'status') return { account: null, pending_changes: 1, last_sync: null, reference_version: 1, records: 1, conflict_copies: 0 };
      throw new Error(`unexpected ${cmd}`);
    });
    const { getByTestId, findByTestId } = render(Household, { id: 'h1' });
    const conflicts = await findByTestId('conflicts');
    expect(conflicts.textContent).toContain('13036782454');
    expect(conflicts.textContent).toContain('13900000000');
    const keep = [...conflicts.querySelectorAll('button')].find((b) => b.textContent?.includes('13900000000'));
    await fireEvent.click(keep!);
    await waitFor(() => expect(resolved).toEqual([{ id: 'h1', field: 'phone', value: '13900000000' }]));
    expect(getByTestId('visit-history').textContent).toContain('一切正常');
    expect(getByTestId('visit-history').textContent).toContain('照片 1 张');
    expect(getByTestId('visit-history').textContent).toContain('录音 1 段');
    expect(getByTestId('visit-history').querySelector('[data-testid=audio-load]')).not.toBeNull();
  });
});
