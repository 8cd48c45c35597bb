import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import AudioRecorder from './AudioRecorder.svelte';

const noRecorder = { getUserMedia: null, MediaRecorder: null, now: () => 0 };

function pick(input: HTMLElement, file: File) {
  Object.defineProperty(input, 'files', { value: [file], configurable: true });
  return fireEvent.change(input);
}

/** A MediaRecorder stand-in that hands over one chunk when stopped. */
class FakeRecorder {
  static isTypeSupported = () => false;
  state = 'inactive';
  mimeType = 'audio/webm';
  ondataavailable: ((e: { data: Blob }) => void) | null = null;
  onstop: (() => void) | null = null;
  start() {
    this.state = 'recording';
  }
  stop() {
    this.state = 'inactive';
    this.ondataavailable?.({ data: new Blob(['webm']) });
    this.onstop?.();
  }
}

afterEach(() => {
  clearMocks();
  vi.unstubAllGlobals();
});

describe('AudioRecorder', () => {
  it('says it cannot record here and still offers an audio file, which it adds', async () => {
    const calls: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'add_audio') {
        calls.push(args);
        return { hash: 'a'.repeat(64), mime: 'audio/wav', size: 4, duration_ms: 1000 };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    const onAdd = vi.fn();
    const { getByTestId, queryByTestId } = render(AudioRecorder, { onAdd, testid: 'a', env: noRecorder });
    expect(queryByTestId('a-record')).toBeNull();
    expect(getByTestId('a-unavailable').textContent).toContain('不能直接录音');
    await pick(getByTestId('a-input'), new File(['RIFF'], 'note.wav', { type: 'audio/wav' }));
    await waitFor(() => expect(onAdd).toHaveBeenCalledOnce());
    expect(calls).toEqual([{ dataBase64: btoa('RIFF'), durationMs: null }]);
    expect((getByTestId('a-input') as HTMLInputElement).accept).toBe('audio/*');
  });

  it('records, stops, and keeps the clip with the measured length', async () => {
    // jsdom has no object URLs (the component previews the clip through one).
    vi.stubGlobal('URL', class extends URL {
      static createObjectURL = () => 'blob:clip';
      static revokeObjectURL = () => {};
    });
    const calls: unknown[] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return { hash: 'd'.repeat(64), mime: 'audio/webm', size: 4, duration_ms: 2500 };
    });
    const clock = { now: 1000 };
    const env = {
      getUserMedia: async () => ({ getTracks: () => [] }) as unknown as MediaStream,
      MediaRecorder: FakeRecorder as unknown as typeof MediaRecorder,
      now: () => clock.now,
    };
    const onAdd = vi.fn();
    const { getByTestId, findByTestId } = render(AudioRecorder, { onAdd, testid: 'a', env });
    await fireEvent.click(getByTestId('a-record'));
    const stop = await findByTestId('a-stop');
    clock.now = 3500;
    await fireEvent.click(stop);
    await fireEvent.click(await findByTestId('a-keep'));
    await waitFor(() => expect(onAdd).toHaveBeenCalledOnce());
    expect(calls).toEqual([['add_audio', { dataBase64: btoa('webm'), durationMs: 2500 }]]);
    await findByTestId('a-record'); // back to the start for another note
  });

  it("shows the core's refusal in plain words with its reason", async () => {
    mockIPC(() => {
      throw { kind: 'media', message: '录音过长 / the recording is too long: 200 s, the limit is 180 s' };
    });
    const onAdd = vi.fn();
    const { getByTestId, findByTestId } = render(AudioRecorder, { onAdd, testid: 'a', env: noRecorder });
    await pick(getByTestId('a-input'), new File(['OggS'], 'long.ogg'));
    const error = await findByTestId('a-error');
    expect(error.textContent).toContain('录音没有保存');
    expect(error.textContent).toContain('录音过长');
    expect(onAdd).not.toHaveBeenCalled();
  });
});
