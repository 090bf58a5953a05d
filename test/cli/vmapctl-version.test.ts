/**
 * --version of both programs: the version in package.json, found from where
 * the program's own files are, not from the working directory.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliPath, projectRoot } from '../helpers/server.js';
import { runScript } from './vmapctl-run.js';

const VERSION = (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;

describe('--version', () => {
  for (const name of ['vmapctl', 'vmapd'] as const) {
    it(`${name} --version and -V print package.json's version and exit 0`, async () => {
      for (const flag of ['--version', '-V']) {
        const r = await runScript(cliPath(name), [flag]);
        assert.deepEqual(r, { code: 0, stdout: `${VERSION}\n`, stderr: '' }, `${name} ${flag}`);
      }
    });
  }

  describe('from an installed package', () => {
    // node_modules/vmapd/{package.json,proto,dist/src} with a version of its own:
    // what `npm install` lays out, away from this project's package.json.
    let dir: string;
    let pkg: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'vmapctl-version-'));
      pkg = join(dir, 'node_modules', 'vmapd');
      cpSync(join(projectRoot(), 'dist', 'src'), join(pkg, 'dist', 'src'), { recursive: true });
      cpSync(join(projectRoot(), 'proto'), join(pkg, 'proto'), { recursive: true });
      writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'vmapd', version: '9.8.7-installed', type: 'module' }));
      // The dependencies, where node looks for them from the package.
      symlinkSync(join(projectRoot(), 'node_modules'), join(pkg, 'node_modules'), 'dir');
    });
    after(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    for (const name of ['vmapctl', 'vmapd'] as const) {
      it(`${name} reports the version of the package it is in`, async () => {
        const r = await runScript(join(pkg, 'dist', 'src', 'cli', `${name}.js`), ['--version']);
        assert.deepEqual(r, { code: 0, stdout: '9.8.7-installed\n', stderr: '' });
      });
    }
  });
});
