// The admin web served by gridwalk-server at /admin: src/admin → dist/admin.
import { defineConfig } from 'vite';
import { appConfig } from './vite.shared';

export default defineConfig(appConfig({ entry: 'admin', base: '/admin/' }));
