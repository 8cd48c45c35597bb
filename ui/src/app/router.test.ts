import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { back, canGoBack, depth, go, replace, reset, route } from './router';

describe('the router', () => {
  it('pushes, pops, replaces and resets', () => {
    reset({ name: 'home' });
    expect(get(canGoBack)).toBe(false);
    go({ name: 'household', id: 'h1' });
    go({ name: 'visit', household: 'h1' });
    expect(get(route)).toEqual({ name: 'visit', household: 'h1' });
    replace({ name: 'incident', id: 'i1' });
    expect(depth()).toBe(3);
    back();
    expect(get(route)).toEqual({ name: 'household', id: 'h1' });
    back();
    back();
    expect(get(route)).toEqual({ name: 'home' });
    expect(get(canGoBack)).toBe(false);
  });
});
