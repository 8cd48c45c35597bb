// The running patrol (巡查) shared by every screen: its status, and the route recorder that
// keeps adding fixes while it runs, whichever screen is shown. A patrol started before the app
// was closed picks its recording up again when the app opens.
import { get, writable } from 'svelte/store';
import { commands } from '$lib/api';
import type { PatrolStatus } from '$lib/bindings';
import { RouteRecorder } from '$lib/patrol';
import { changed, provider } from './session';

/** The running patrol and this week against the rule (`null` until loaded). */
export const patrol = writable<PatrolStatus | null>(null);
/** Route points recorded since the app (re)started recording. */
export const recorded = writable(0);

let recorder: RouteRecorder | null = null;

function recorderNow(): RouteRecorder {
  recorder ??= new RouteRecorder(get(provider), async (fix) => {
    await commands.patrolFix(fix);
    recorded.set(recorder?.saved ?? 0);
  });
  return recorder;
}

/** Reloads the status and starts or stops the recorder to match it. */
export async function loadPatrol(): Promise<PatrolStatus> {
  const status = await commands.patrolStatus();
  patrol.set(status);
  const running = status.running;
  if (running && !recorder?.running) {
    const last = running.track[running.track.length - 1];
    const from = last && last.lat !== null && last.lon !== null
      ? { lat: last.lat, lon: last.lon, atMs: Date.parse(last.at) }
      : null;
    recorderNow().start(from);
  } else if (!running) {
    recorder?.stop();
  }
  return status;
}

/** Starts a patrol at the current position (or without one when there is no fix). */
export async function startPatrol(): Promise<void> {
  const result = await get(provider).current(10_000);
  await commands.startPatrol(result.fix);
  recorded.set(result.fix ? 1 : 0);
  recorder?.stop();
  await loadPatrol();
  await changed();
}

/** Ends the running patrol with a last fix where there is one. */
export async function stopPatrol(): Promise<void> {
  recorder?.stop();
  await recorder?.tick().catch(() => false);
  await commands.stopPatrol();
  await loadPatrol();
  await changed();
}
