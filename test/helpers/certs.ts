/**
 * Test certificates made with the real openssl command: a CA and
 * certificates it signs, EC P-256, valid two days.
 */
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** false when openssl can be run, else why the TLS tests skip. */
export const NO_OPENSSL: false | string = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'openssl is not installed';
  }
})();

const openssl = (dir: string, ...args: string[]): Promise<unknown> => promisify(execFile)('openssl', args, { cwd: dir });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA in `dir`: `name`.pem and `name`.key. */
export async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(dir, 'req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=vmapd test ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

/** A certificate `name`.pem/.key in `dir`, for `cn`, signed by CA `ca`, with the given X.509v3 extensions. */
export async function makeCert(dir: string, name: string, ca: string, cn: string, extensions: string): Promise<void> {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  await openssl(dir, 'req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  await openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
}
