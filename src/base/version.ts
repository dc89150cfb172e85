import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The installed package's root: three levels above dist/src/base. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The package version, read once from package.json. */
export const VERSION: string = (JSON.parse(readFileSync(`${PACKAGE_ROOT}package.json`, 'utf8')) as { version: string }).version;

/** The images/ shipped with the package, which `build` and `up` build by default. */
export const PACKAGED_IMAGES_DIR = `${PACKAGE_ROOT}images`;
