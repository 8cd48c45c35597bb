import { fireEvent, render } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { ChecklistTemplate } from '../bindings';
import type { Answers } from '../checklist';
import Checklist from './Checklist.svelte';

const template = {
  id: 't',
  version: 1,
  name: '网格走访清单',
  items: [
    { key: 'note', label: '居民诉求', kind: 'text', required: false },
    { key: 'met', label: '是否见到住户本人', kind: 'yes_no', required: true },
    { key: 'use', label: '房屋使用情况', kind: 'single_choice', options: ['自住', '出租'], required: true },
    { key: 'photo', label: '现场照片', kind: 'photo', required: false },
  ],
} as ChecklistTemplate;

describe('Checklist', () => {
  it('shows required items first and counts what is left', () => {
    const { container, getByTestId } = render(Checklist, { template, answers: {}, onChange: () => {} });
    const keys = [...container.querySelectorAll('fieldset')].map((f) => f.dataset.testid);
    expect(keys).toEqual(['item-met', 'item-use', 'item-note', 'item-photo']);
    expect(getByTestId('checklist-missing').textContent).toContain('2');
  });

  it('answers a yes/no with one tap', async () => {
    const onChange = vi.fn();
    const { getByTestId } = render(Checklist, { template, answers: {}, onChange });
    await fireEvent.click(getByTestId('item-met').querySelector('[data-testid=no]')!);
    expect(onChange).toHaveBeenCalledWith({ met: { kind: 'yes_no', value: false } });
  });

  it('fills the usual answers of required items and says how many', async () => {
    let answers: Answers = {};
    const onChange = vi.fn((next: Answers) => (answers = next));
    const { getByTestId } = render(Checklist, { template, answers, onChange });
    await fireEvent.click(getByTestId('fill-usual'));
    expect(answers).toEqual({ use: { kind: 'choice', value: '自住' } });
    expect(getByTestId('filled-note').textContent).toContain('1');
  });

  it('takes photos for photo items', () => {
    const { getByTestId } = render(Checklist, { template, answers: {}, onChange: () => {} });
    const input = getByTestId('photos-photo-input') as HTMLInputElement;
    expect(input.type).toBe('file');
    expect(input.accept).toContain('image/jpeg');
  });
});
