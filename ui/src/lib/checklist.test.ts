import { describe, expect, it } from 'vitest';
import type { ChecklistTemplate } from './bindings';
import { cleaned, fillUsual, isAnswered, missingRequired, toggleChoice, usualAnswer } from './checklist';

const template: ChecklistTemplate = {
  id: 't',
  version: 2,
  name: '走访清单',
  items: [
    { key: 'met', label: '是否见到住户本人', kind: 'yes_no', required: true },
    { key: 'use', label: '房屋使用情况', kind: 'single_choice', options: ['自住', '出租'], required: true },
    { key: 'hazards', label: '安全隐患', kind: 'multi_choice', options: ['燃气隐患', '无'], required: true },
    { key: 'needs', label: '服务需求', kind: 'multi_choice', options: ['助餐', '助浴'], required: true },
    { key: 'note', label: '说明', kind: 'text', required: false },
  ],
} as ChecklistTemplate;

describe('checklist answers', () => {
  it('lists required items not answered yet', () => {
    expect(missingRequired(template, {}).map((i) => i.key)).toEqual(['met', 'use', 'hazards', 'needs']);
    expect(missingRequired(template, { met: { kind: 'yes_no', value: false } }).map((i) => i.key)).toEqual([
      'use',
      'hazards',
      'needs',
    ]);
  });

  it('treats empty text and empty selections as unanswered', () => {
    expect(isAnswered({ kind: 'text', value: '  ' })).toBe(false);
    expect(isAnswered({ kind: 'choices', value: [] })).toBe(false);
    expect(isAnswered({ kind: 'yes_no', value: false })).toBe(true);
  });

  it('fills only the obvious usual answers and never a yes/no', () => {
    const { answers, filled } = fillUsual(template, { use: { kind: 'choice', value: '出租' } });
    expect(filled).toEqual(['hazards']);
    expect(answers.use).toEqual({ kind: 'choice', value: '出租' });
    expect(answers.hazards).toEqual({ kind: 'choices', value: ['无'] });
    expect(answers.met).toBeUndefined();
    expect(answers.needs).toBeUndefined();
    expect(usualAnswer(template.items[1])).toEqual({ kind: 'choice', value: '自住' });
  });

  it('lets "无" exclude the other options', () => {
    expect(toggleChoice(['燃气隐患'], '无')).toEqual(['无']);
    expect(toggleChoice(['无'], '燃气隐患')).toEqual(['燃气隐患']);
    expect(toggleChoice(['燃气隐患'], '燃气隐患')).toEqual([]);
  });

  it('drops empty answers before storing', () => {
    expect(cleaned({ a: { kind: 'text', value: '' }, b: { kind: 'yes_no', value: true } })).toEqual({
      b: { kind: 'yes_no', value: true },
    });
  });
});
