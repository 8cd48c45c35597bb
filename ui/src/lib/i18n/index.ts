// One i18n table for every UI (zh-CN first, then English). Each area keeps its strings in
// tables/<area>.ts as `key: ['中文', 'English']`; they are merged here into one table, and a
// key may be defined only once. Parameters are written `{name}`.
import { derived, get, writable } from 'svelte/store';

export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];

/** One entry: the zh-CN text, then the English text. */
export type Entry = readonly [zh: string, en: string];
export type Table = Record<string, Entry>;
export type Params = Record<string, string | number>;

const modules = import.meta.glob<{ default: Table }>('./tables/*.ts', { eager: true });

/** Merges area tables, refusing a key defined twice. */
export function merge(tables: Record<string, Table>): Table {
  const merged: Table = {};
  for (const [file, table] of Object.entries(tables)) {
    for (const [key, entry] of Object.entries(table)) {
      if (key in merged) throw new Error(`i18n key ${key} is defined twice (again in ${file})`);
      merged[key] = entry;
    }
  }
  return merged;
}

export const table: Table = merge(
  Object.fromEntries(Object.entries(modules).map(([file, m]) => [file, m.default])),
);

/** The UI language. */
export const locale = writable<Locale>('zh-CN');

export function isLocale(value: string): value is Locale {
  return (LOCALES as readonly string[]).includes(value);
}

/** The text of `key` in `loc` with `{params}` filled in; the key itself if it is unknown. */
export function translate(loc: Locale, key: string, params?: Params, from: Table = table): string {
  const entry = from[key];
  if (!entry) return key;
  const text = entry[loc === 'en' ? 1 : 0];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** `$t('key', {n: 1})` in components. */
export const t = derived(locale, (loc) => (key: string, params?: Params) => translate(loc, key, params));

/** For code outside components. */
export function tr(key: string, params?: Params): string {
  return translate(get(locale), key, params);
}

/** The deployment's time zone (DESIGN §3: shown in Asia/Shanghai by default). */
export const TIME_ZONE = 'Asia/Shanghai';

function format(value: string | null | undefined, loc: Locale, options: Intl.DateTimeFormatOptions) {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat(loc, { timeZone: TIME_ZONE, hour12: false, ...options }).format(date);
}

/** Date and time, e.g. 3月2日 09:05. */
export const dateTime = derived(locale, (loc) => (value: string | null | undefined) =>
  format(value, loc, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }),
);

/** Date only, e.g. 2026年3月2日. */
export const dateOnly = derived(locale, (loc) => (value: string | null | undefined) =>
  format(value, loc, { year: 'numeric', month: 'short', day: 'numeric' }),
);

/** Time only, e.g. 09:05. */
export const timeOnly = derived(locale, (loc) => (value: string | null | undefined) =>
  format(value, loc, { hour: '2-digit', minute: '2-digit' }),
);
