// What every screen shares: app info, account and status, reference data, sync state, and a
// counter that goes up whenever data may have changed (a sync finished, a local write), so
// screens reload.
import { derived, get, writable } from 'svelte/store';
import { commands, events } from '$lib/api';
import type { AppInfo, ReferenceData, Status, SyncState } from '$lib/bindings';
import { isLocale, locale } from '$lib/i18n';
import { chooseProvider } from '$lib/location';

export const info = writable<AppInfo | null>(null);
export const status = writable<Status | null>(null);
export const reference = writable<ReferenceData | null>(null);
export const sync = writable<SyncState>({
  running: false,
  offline: false,
  last_error: null,
  last_attempt: null,
  last_report: null,
  upload: null,
});
/** The webview's idea of the network (`navigator.onLine`). */
export const online = writable<boolean>(globalThis.navigator?.onLine ?? true);
/** Bumped whenever records may have changed; screens reload on it. */
export const dataVersion = writable(0);

export const account = derived(status, (s) => s?.account ?? null);
/** Desk workers get the hall-tablet layout; everyone else the phone layout. */
export const layout = derived(account, (a) => (a?.user.role === 'desk' ? 'desk' : 'phone'));
/** Offline: the webview says so, or the last sync could not reach the server. */
export const offline = derived([online, sync], ([on, s]) => !on || s.offline);

/** Reloads status and reference data. */
export async function refresh(): Promise<void> {
  const [s, r] = await Promise.all([commands.status(), commands.reference()]);
  status.set(s);
  reference.set(r);
}

/** Call after a local write: pending count and lists change. */
export async function changed(): Promise<void> {
  dataVersion.update((v) => v + 1);
  status.set(await commands.status());
}

/** Loads everything the first screen needs and starts listening for sync and network. */
export async function start(): Promise<void> {
  const [appInfo, settings] = await Promise.all([commands.appInfo(), commands.uiSettings()]);
  info.set(appInfo);
  if (isLocale(settings.language)) locale.set(settings.language);
  sync.set(await commands.syncState());
  await refresh();
  await events.syncState.listen(async (event) => {
    const was = get(sync);
    sync.set(event.payload);
    if (was.running && !event.payload.running) {
      await refresh();
      dataVersion.update((v) => v + 1);
    }
  });
  const network = (up: boolean) => {
    online.set(up);
    void commands.networkChanged(up);
  };
  globalThis.addEventListener?.('online', () => network(true));
  globalThis.addEventListener?.('offline', () => network(false));
}

/** Switches the UI language and remembers it in the data directory. */
export async function setLanguage(language: 'zh-CN' | 'en'): Promise<void> {
  locale.set(language);
  await commands.setUiSettings({ language });
}

/** Runs a sync now; the sync state store follows through events. Errors are shown by the
 * sync status, so they are swallowed here. */
export async function syncNow(): Promise<void> {
  try {
    await commands.syncNow();
  } catch {
    // shown through the sync state
  }
  await refresh();
  dataVersion.update((v) => v + 1);
}

/** The position provider of this build (fake / plugin / webview). */
export const provider = derived(info, (i) =>
  chooseProvider(i?.location ?? { kind: 'device' }, i?.mobile ?? false, () => commands.fakeFix()),
);

/** A short message shown once at the top of the next screen ("visit saved"). */
export const flash = writable<string>('');
