#!/usr/bin/env node
// The last step of `npm run build`: marks dist/ as built from the current
// sources, for scripts/ensure-built.mjs.
import { writeFileSync } from 'node:fs';

writeFileSync('dist/.build-stamp', `${new Date().toISOString()}\n`);
