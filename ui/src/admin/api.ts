// The admin JSON API (/api/…, described by /api/openapi.json): session cookie + CSRF token.
// Its body types are generated from the server's Rust types into ./api.gen.ts.
import { writable } from 'svelte/store';
import type { SessionInfo, SignIn } from './api.gen';

/** The signed-in user, or null. */
export const session = writable<SessionInfo | null>(null);

let csrf = '';

/** An error answer: HTTP status, stable code, message, and the whole body. */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public body: unknown,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: BodyInit, type?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (type) headers['content-type'] = type;
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  const reply = await fetch(path, { method, headers, body, credentials: 'same-origin' });
  const text = await reply.text();
  const json = text ? JSON.parse(text) : null;
  if (!reply.ok) {
    if (reply.status === 401 && path !== '/api/session') session.set(null);
    throw new ApiError(reply.status, json?.code ?? 'error', json?.message ?? reply.statusText, json);
  }
  return json as T;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body?: unknown) =>
    call<T>('POST', path, JSON.stringify(body ?? {}), 'application/json'),
  put: <T>(path: string, body: unknown) => call<T>('PUT', path, JSON.stringify(body), 'application/json'),
  del: <T>(path: string) => call<T>('DELETE', path),
  upload: <T>(path: string, file: Blob) => call<T>('POST', path, file, file.type || 'application/octet-stream'),
  /** A file as the raw body of a PUT (a tile package). */
  putFile: <T>(path: string, file: Blob, type: string) => call<T>('PUT', path, file, type),
};

function remember(info: SessionInfo) {
  csrf = info.csrf;
  session.set(info);
  return info;
}

export async function signIn(login: string, password: string) {
  return remember(await api.post<SessionInfo>('/api/session', { login, password } satisfies SignIn));
}

/** Restores the session after a reload (the cookie is HttpOnly: ask the server). */
export async function restore() {
  try {
    remember(await api.get<SessionInfo>('/api/session'));
  } catch {
    session.set(null);
  }
}

export async function signOut() {
  try {
    await api.del('/api/session');
  } finally {
    csrf = '';
    session.set(null);
  }
}

/** Percent text of a 0–1 rate, or a dash. */
export function percent(rate: number | null | undefined): string {
  return rate == null ? '—' : `${(rate * 100).toFixed(1)}%`;
}

/** Local date-time text of epoch milliseconds. */
export function when(ms: number | null | undefined): string {
  if (ms == null) return '—';
  return new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai', hour12: false, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit',
  }).format(new Date(ms));
}
