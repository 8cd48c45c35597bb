// Checklist answers (走访清单): what counts as answered, what is still required, and the
// one-tap "usual answers" for required items that have an obvious usual answer.
import type { Answer, ChecklistItem, ChecklistTemplate } from './bindings';

export type Answers = Partial<Record<string, Answer>>;

/** The option that means "none" in multi-choice items. */
export const NONE_OPTION = '无';

export function isAnswered(answer: Answer | undefined): boolean {
  if (!answer) return false;
  switch (answer.kind) {
    case 'text':
      return answer.value.trim() !== '';
    case 'choices':
    case 'photos':
      return answer.value.length > 0;
    default:
      return true;
  }
}

/** Required items not answered yet, in template order. */
export function missingRequired(template: ChecklistTemplate, answers: Answers): ChecklistItem[] {
  return template.items.filter((item) => item.required && !isAnswered(answers[item.key]));
}

/** The usual answer of an item, when the template makes one obvious: the first option of a
 * single choice (templates list the usual case first) and "无" of a multi-choice. Yes/no
 * questions have none: the worker answers them. */
export function usualAnswer(item: ChecklistItem): Answer | undefined {
  if (item.kind === 'single_choice' && item.options.length > 0) {
    return { kind: 'choice', value: item.options[0] };
  }
  if (item.kind === 'multi_choice' && item.options.includes(NONE_OPTION)) {
    return { kind: 'choices', value: [NONE_OPTION] };
  }
  return undefined;
}

/** Fills unanswered required items with their usual answer; returns the new answers and
 * the keys filled, so the screen can show what it did. */
export function fillUsual(
  template: ChecklistTemplate,
  answers: Answers,
): { answers: Answers; filled: string[] } {
  const next: Answers = { ...answers };
  const filled: string[] = [];
  for (const item of template.items) {
    if (!item.required || isAnswered(next[item.key])) continue;
    const usual = usualAnswer(item);
    if (usual) {
      next[item.key] = usual;
      filled.push(item.key);
    }
  }
  return { answers: next, filled };
}

/** Toggles one option of a multi-choice answer; "无" excludes the others. */
export function toggleChoice(current: string[], option: string): string[] {
  if (current.includes(option)) return current.filter((o) => o !== option);
  if (option === NONE_OPTION) return [NONE_OPTION];
  return [...current.filter((o) => o !== NONE_OPTION), option];
}

/** Answers without empty ones, ready to store. */
export function cleaned(answers: Answers): Record<string, Answer> {
  const out: Record<string, Answer> = {};
  for (const [key, answer] of Object.entries(answers)) {
    if (answer && isAnswered(answer)) out[key] = answer;
  }
  return out;
}
