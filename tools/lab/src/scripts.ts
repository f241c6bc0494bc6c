import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The lab's shell scripts (root only): packages, then services and images, then teardown. */
export const LAB_SCRIPTS = {
  install: join(here, '..', 'install.sh'),
  start: join(here, '..', 'start.sh'),
  stop: join(here, '..', 'stop.sh'),
} as const;
