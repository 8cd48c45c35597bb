import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import AudioPlayer from './AudioPlayer.svelte';

const hash = 'b'.repeat(64);

afterEach(() => clearMocks());

describe('AudioPlayer', () => {
  it('loads the source only when tapped, then shows an audio element with it', async () => {
    const asked: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'audio_source') {
        asked.push(args);
        return 'data:audio/wav;base64,UklGRg==';
      }
      throw new Error(`unexpected ${cmd}`);
    });
    const { getByTestId, findByTestId } = render(AudioPlayer, { hash, label: '录音 1', durationMs: 65_000 });
    expect(asked).toEqual([]);
    expect(getByTestId('audio-load').textContent).toContain('1:05');
    await fireEvent.click(getByTestId('audio-load'));
    const audio = (await findByTestId('audio-player')) as HTMLAudioElement;
    expect(audio.getAttribute('src')).toBe('data:audio/wav;base64,UklGRg==');
    expect(audio.controls).toBe(true);
    expect(asked).toEqual([{ hash }]);
  });

  it('says when the recording cannot be had offline', async () => {
    mockIPC(() => null);
    const { getByTestId, findByTestId, queryByTestId } = render(AudioPlayer, { hash, label: '录音 1' });
    await fireEvent.click(getByTestId('audio-load'));
    expect((await findByTestId('audio-offline')).textContent).toContain('联网后可播放');
    expect(queryByTestId('audio-player')).toBeNull();
  });
});
