#!/usr/bin/env -S node --import tsx
// `npm run lab -- list|up|down`: the lab's command line, apart from the product's.
import { labMain } from './cli.js';
import { labEnvFrom } from './env.js';

process.exitCode = await labMain(process.argv.slice(2), labEnvFrom(process.env));
