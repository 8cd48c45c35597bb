import { get } from 'svelte/store';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AUDIO_MAX_MS } from './bindings';
import { Recorder, type RecorderEnv } from './recorder';

/** A MediaRecorder stand-in: hands over one chunk per `emit`, and the rest on stop. */
class FakeRecorder {
  static last: FakeRecorder | null = null;
  static isTypeSupported = (type: string) => type === 'audio/webm;codecs=opus';
  state: 'inactive' | 'recording' = 'inactive';
  mimeType: string;
  ondataavailable: ((e: { data: Blob }) => void) | null = null;
  onstop: (() => void) | null = null;
  constructor(_stream: unknown, options?: { mimeType?: string }) {
    this.mimeType = options?.mimeType ?? '';
    FakeRecorder.last = this;
  }
  start() {
    this.state = 'recording';
  }
  emit(bytes: number) {
    this.ondataavailable?.({ data: new Blob([new Uint8Array(bytes)]) });
  }
  stop() {
    this.state = 'inactive';
    this.emit(10);
    this.onstop?.();
  }
}

function fakeEnv(clock: { now: number }, getUserMedia?: RecorderEnv['getUserMedia']): RecorderEnv & { stopped: number } {
  const env = {
    stopped: 0,
    getUserMedia:
      getUserMedia ??
      (async () => ({ getTracks: () => [{ stop: () => (env.stopped += 1) }] }) as unknown as MediaStream),
    MediaRecorder: FakeRecorder as unknown as typeof MediaRecorder,
    now: () => clock.now,
  };
  return env;
}

afterEach(() => vi.useRealTimers());

describe('the audio recorder', () => {
  it('records, shows the elapsed time and hands over the clip to keep', async () => {
    vi.useFakeTimers();
    const clock = { now: 0 };
    const env = fakeEnv(clock);
    const recorder = new Recorder(env);
    await recorder.start();
    expect(get(recorder.state).phase).toBe('recording');
    expect(FakeRecorder.last!.mimeType).toBe('audio/webm;codecs=opus');
    clock.now = 4200;
    vi.advanceTimersByTime(200);
    expect(get(recorder.state).elapsedMs).toBe(4200);
    FakeRecorder.last!.emit(100);
    recorder.stop();
    const state = get(recorder.state);
    expect(state.phase).toBe('recorded');
    expect(state.clip!.size).toBe(110);
    expect(state.clip!.type).toBe('audio/webm;codecs=opus');
    expect(env.stopped).toBe(1); // the microphone is released
    recorder.reset();
    expect(get(recorder.state)).toMatchObject({ phase: 'idle', clip: null, elapsedMs: 0 });
  });

  it('stops by itself just before the length limit', async () => {
    vi.useFakeTimers();
    const clock = { now: 0 };
    const recorder = new Recorder(fakeEnv(clock));
    await recorder.start();
    clock.now = AUDIO_MAX_MS + 5000;
    vi.advanceTimersByTime(200);
    const state = get(recorder.state);
    expect(state.phase).toBe('recorded');
    expect(state.elapsedMs).toBeLessThan(AUDIO_MAX_MS);
    expect(state.elapsedMs).toBe(recorder.limitMs);
  });

  it('says plainly when the microphone is refused or the webview cannot record', async () => {
    const denied = new Recorder(
      fakeEnv({ now: 0 }, async () => {
        throw Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' });
      }),
    );
    await denied.start();
    expect(get(denied.state)).toMatchObject({ phase: 'unavailable', problem: 'audio.mic_denied', detail: 'Permission denied' });

    const none = new Recorder({ getUserMedia: null, MediaRecorder: null, now: () => 0 });
    expect(none.supported).toBe(false);
    await none.start();
    expect(get(none.state)).toMatchObject({ phase: 'unavailable', problem: 'audio.no_recorder' });
  });

  it('discarding while recording drops the clip', async () => {
    const recorder = new Recorder(fakeEnv({ now: 0 }));
    await recorder.start();
    recorder.reset();
    expect(get(recorder.state)).toMatchObject({ phase: 'idle', clip: null });
  });
});
