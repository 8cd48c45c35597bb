// Screen navigation without URLs: a stack of routes. `go` pushes, `back` pops, `reset`
// starts over at a tab.
import { derived, get, writable } from 'svelte/store';

export type Route =
  // phone
  | { name: 'home' }
  | { name: 'grid' }
  | { name: 'building'; id: string; title: string }
  | { name: 'household'; id: string }
  | { name: 'visit'; household: string; campaign?: string }
  | { name: 'campaign_task'; campaign: string; target: string }
  | { name: 'report' }
  | { name: 'reports' }
  | { name: 'incident'; id: string }
  | { name: 'worklog' }
  | { name: 'notices' }
  | { name: 'notice'; id: string }
  | { name: 'figures' }
  | { name: 'settings' }
  // desk
  | { name: 'catalogue' }
  | { name: 'service'; id: string }
  | { name: 'walkin'; item?: string }
  | { name: 'queue' }
  | { name: 'board' }
  | { name: 'rate'; id: string }
  | { name: 'residents' }
  | { name: 'handover' };

export type RouteName = Route['name'];

const stack = writable<Route[]>([{ name: 'home' }]);

/** The screen shown now. */
export const route = derived(stack, (s) => s[s.length - 1]);
/** Whether there is a screen to go back to. */
export const canGoBack = derived(stack, (s) => s.length > 1);

export function go(next: Route): void {
  stack.update((s) => [...s, next]);
}

export function back(): void {
  stack.update((s) => (s.length > 1 ? s.slice(0, -1) : s));
}

/** Shows `next` as the only screen (tabs, after finishing a flow). */
export function reset(next: Route): void {
  stack.set([next]);
}

/** Replaces the current screen (e.g. a finished visit becomes the household card). */
export function replace(next: Route): void {
  stack.update((s) => [...s.slice(0, -1), next]);
}

/** The stack, for tests. */
export function depth(): number {
  return get(stack).length;
}
