// One Vite setup for every UI entry under src/<entry>/ (index.html there), built to
// dist/<entry>/. The app uses it; the admin web adds vite.admin.config.ts the same way.
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { UserConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export interface Entry {
  /** Folder under src/ holding index.html, and the folder under dist/ it builds to. */
  entry: string;
  /** Public base path: './' inside the app, '/admin/' for the admin web. */
  base: string;
}

export function appConfig({ entry, base }: Entry): UserConfig {
  return {
    root: here(`./src/${entry}`),
    base,
    publicDir: false,
    plugins: [svelte()],
    resolve: { alias: { $lib: here('./src/lib') } },
    build: {
      outDir: here(`./dist/${entry}`),
      emptyOutDir: true,
      // No network assets: everything the page needs is in the bundle.
      assetsInlineLimit: 0,
      target: 'safari15',
    },
    server: { strictPort: true },
  };
}
