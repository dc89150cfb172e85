/** Where scripts/dh-podman hands over NODE_EXTRA_CA_CERTS, so that Node does not load it at start-up. */
const HANDED_OVER = 'DH_PODMAN_NODE_EXTRA_CA_CERTS';

/**
 * Puts NODE_EXTRA_CA_CERTS back as the user set it, before anything runs: the processes
 * dh-podman starts (podman, keytool, pip, another Node) see the environment unchanged. This
 * process's TLS does not: Node read the variable only at its start, when it was not there.
 */
export function restoreExtraCaCertsVariable(env: NodeJS.ProcessEnv = process.env): void {
  const value = env[HANDED_OVER];
  if (value === undefined) return;
  delete env[HANDED_OVER];
  env.NODE_EXTRA_CA_CERTS = value;
}
