// Recording an audio note in the webview: microphone (getUserMedia) → MediaRecorder → a clip
// to keep or discard. Stops by itself before the core's length and size limits. Where the
// webview has no MediaRecorder or no microphone (the Linux desktop webview often has
// neither) it says so; picking an audio file is always offered beside it.
import { writable, type Readable } from 'svelte/store';
import { AUDIO_MAX_BYTES, AUDIO_MAX_MS } from './bindings';

/** Where the recorder is. */
export type Phase = 'idle' | 'asking' | 'recording' | 'recorded' | 'unavailable';

/** What the recorder component shows. */
export interface RecorderState {
  phase: Phase;
  /** Milliseconds recorded so far (or in the clip). */
  elapsedMs: number;
  /** The finished recording, while deciding to keep it. */
  clip: Blob | null;
  /** Why recording is not possible: an i18n key (`audio.no_recorder`, `audio.mic_denied`, …). */
  problem: string | null;
  /** The browser's own words about that, if any. */
  detail: string;
}

/** The parts of the browser the recorder uses, replaceable in tests. */
export interface RecorderEnv {
  getUserMedia: ((constraints: MediaStreamConstraints) => Promise<MediaStream>) | null;
  MediaRecorder: typeof MediaRecorder | null;
  now: () => number;
}

/** Stop this long before the length limit, so the measured length stays inside it. */
const MARGIN_MS = 1000;
/** Stop when the recording reaches this share of the size limit. */
const SIZE_SHARE = 0.95;
/** Formats to ask for, best first (all accepted by the core). */
const FORMATS = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4', 'audio/webm'];

/** The real browser, where it has these parts. */
export function browserEnv(): RecorderEnv {
  const devices = globalThis.navigator?.mediaDevices;
  return {
    getUserMedia: devices?.getUserMedia ? (c) => devices.getUserMedia(c) : null,
    MediaRecorder: typeof MediaRecorder === 'undefined' ? null : MediaRecorder,
    now: () => Date.now(),
  };
}

const initial: RecorderState = { phase: 'idle', elapsedMs: 0, clip: null, problem: null, detail: '' };

/** One recorder for one form. */
export class Recorder {
  readonly limitMs = AUDIO_MAX_MS - MARGIN_MS;
  private readonly store = writable<RecorderState>({ ...initial });
  private recorder: MediaRecorder | null = null;
  private stream: MediaStream | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private started = 0;
  private bytes = 0;

  constructor(private readonly env: RecorderEnv = browserEnv()) {}

  /** The state, for `$recorder.state` in components. */
  get state(): Readable<RecorderState> {
    return this.store;
  }

  /** Whether this webview can record at all (it may still lack a microphone). */
  get supported(): boolean {
    return this.env.getUserMedia !== null && this.env.MediaRecorder !== null;
  }

  /** Asks for the microphone and starts recording. */
  async start(): Promise<void> {
    if (!this.supported) {
      this.store.set({ ...initial, phase: 'unavailable', problem: 'audio.no_recorder' });
      return;
    }
    this.store.set({ ...initial, phase: 'asking' });
    let stream: MediaStream;
    try {
      stream = await this.env.getUserMedia!({ audio: true });
    } catch (e) {
      const name = (e as { name?: string })?.name ?? '';
      const problem =
        name === 'NotAllowedError' || name === 'SecurityError'
          ? 'audio.mic_denied'
          : name === 'NotFoundError' || name === 'OverconstrainedError'
            ? 'audio.no_mic'
            : 'audio.mic_failed';
      this.store.set({ ...initial, phase: 'unavailable', problem, detail: String((e as Error)?.message ?? e) });
      return;
    }
    const Recording = this.env.MediaRecorder!;
    const mimeType = FORMATS.find((f) => Recording.isTypeSupported?.(f));
    let recorder: MediaRecorder;
    try {
      recorder = new Recording(stream, mimeType ? { mimeType } : undefined);
    } catch (e) {
      stream.getTracks().forEach((t) => t.stop());
      this.store.set({ ...initial, phase: 'unavailable', problem: 'audio.no_recorder', detail: String(e) });
      return;
    }
    const chunks: Blob[] = [];
    this.bytes = 0;
    recorder.ondataavailable = (event) => {
      if (event.data.size === 0) return;
      chunks.push(event.data);
      this.bytes += event.data.size;
      if (this.bytes >= AUDIO_MAX_BYTES * SIZE_SHARE) this.stop();
    };
    recorder.onstop = () => {
      const clip = new Blob(chunks, { type: recorder.mimeType || mimeType || 'audio/webm' });
      this.release();
      this.store.update((s) => ({ ...s, phase: 'recorded', clip }));
    };
    this.recorder = recorder;
    this.stream = stream;
    this.started = this.env.now();
    recorder.start(1000);
    this.store.set({ ...initial, phase: 'recording' });
    this.timer = setInterval(() => this.tick(), 200);
  }

  /** Updates the elapsed time; stops at the limit. */
  tick(): void {
    if (this.recorder && this.measure() >= this.limitMs) this.stop();
  }

  private measure(): number {
    const elapsedMs = Math.min(this.env.now() - this.started, this.limitMs);
    this.store.update((s) => ({ ...s, elapsedMs }));
    return elapsedMs;
  }

  /** Stops recording; the clip follows when the recorder hands over its last data. */
  stop(): void {
    const recorder = this.recorder;
    if (!recorder || recorder.state === 'inactive') return;
    this.measure();
    this.clearTimer();
    recorder.stop();
  }

  /** Forgets the clip (discard, or after it was kept) and any problem. */
  reset(): void {
    const recorder = this.recorder;
    if (recorder) {
      recorder.onstop = null;
      recorder.ondataavailable = null;
      if (recorder.state !== 'inactive') recorder.stop();
    }
    this.release();
    this.store.set({ ...initial });
  }

  private clearTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private release(): void {
    this.clearTimer();
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.recorder = null;
  }
}
