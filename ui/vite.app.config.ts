// The app UI (phone + hall tablet) served by the Tauri shell: src/app → dist/app.
import { defineConfig } from 'vite';
import { appConfig } from './vite.shared';

export default defineConfig(appConfig({ entry: 'app', base: './' }));
