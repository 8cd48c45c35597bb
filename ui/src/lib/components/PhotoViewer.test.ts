import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import PhotoStrip from './PhotoStrip.svelte';
import PhotoViewer from './PhotoViewer.svelte';

const hash = 'c'.repeat(64);

afterEach(() => clearMocks());

describe('the full-size photo viewer', () => {
  it('opens from a thumbnail, loads the full photo and closes', async () => {
    mockIPC((cmd, args) => {
      if (cmd === 'photo_full') return `data:image/jpeg;base64,full-${(args as { hash: string }).hash.slice(0, 2)}`;
      throw new Error(`unexpected ${cmd}`);
    });
    const { getByTestId, findByTestId, queryByTestId } = render(PhotoStrip, {
      photos: [hash],
      known: { [hash]: 'data:image/jpeg;base64,thumb' },
    });
    await fireEvent.click(getByTestId('photo-open'));
    const full = (await findByTestId('photo-full')) as HTMLImageElement;
    expect(full.getAttribute('src')).toBe('data:image/jpeg;base64,full-cc');
    await fireEvent.click(getByTestId('photo-close'));
    expect(queryByTestId('photo-viewer')).toBeNull();
  });

  it('says the full photo is not available offline; Escape closes', async () => {
    mockIPC(() => null);
    const onClose = vi.fn();
    const { findByTestId } = render(PhotoViewer, { hash, onClose });
    expect((await findByTestId('photo-full-offline')).textContent).toContain('联网后可查看');
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(onClose).toHaveBeenCalledOnce();
  });
});
