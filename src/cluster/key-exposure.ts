import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError } from '../base/errors.js';
import { SERVICE_UID } from './layout.js';

/**
 * The TLS volume is bind-mounted into every container of the pod, where file owners and modes
 * are what they are on the host. The service account (SERVICE_UID) must not read the machine's
 * private keys there: it gets its own copies as Podman secrets. So a key file it could read (one
 * with group or other permissions, or one owned by its uid) is refused before anything starts.
 */
export async function refuseExposedKeys(tlsVolume: string, files: string[]): Promise<void> {
  for (const name of files) {
    const path = join(tlsVolume, name);
    const stats = await stat(path).catch(() => undefined);
    if (!stats) continue; // a missing file is the certificate checks' to report
    const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
    if ((stats.mode & 0o077) !== 0) {
      throw inputError('KEY_FILE_EXPOSED', `the private key can be read by other accounts (mode ${mode}), and so by the service account inside the pod`, {
        subject: path,
        fix: `chmod 600 ${path}`,
      });
    }
    if (stats.uid === SERVICE_UID && process.getuid?.() !== SERVICE_UID) {
      throw inputError('KEY_FILE_EXPOSED', `the private key is owned by uid ${SERVICE_UID}, the service account's uid inside the pod`, {
        subject: path,
        fix: `chown it to the account that runs dh-podman (chown root ${path} as root)`,
      });
    }
  }
}
