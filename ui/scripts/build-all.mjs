// Builds every UI entry: each vite.<entry>.config.ts in this folder (app, admin, …).
import { readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const configs = readdirSync(new URL('..', import.meta.url)).filter((f) =>
  /^vite\.[a-z]+\.config\.ts$/.test(f),
);
for (const config of configs) {
  console.log(`== vite build --config ${config}`);
  execFileSync('npx', ['vite', 'build', '--config', config], { stdio: 'inherit' });
}
