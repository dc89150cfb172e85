/**
 * systemd's path escaping (what `systemd-escape --path` prints): the instance name under which
 * podman-kube@.service finds the YAML file. "/" separates, so it becomes "-"; everything
 * outside [A-Za-z0-9:_.] and a leading "." become \xNN.
 */
export function escapeSystemdPath(path: string): string {
  const trimmed = path.replace(/\/+/g, '/').replace(/^\/|\/$/g, '');
  if (trimmed === '') return '-';
  return [...Buffer.from(trimmed, 'utf8')]
    .map((byte, index) => {
      const char = String.fromCharCode(byte);
      if (char === '/') return '-';
      if (/[A-Za-z0-9:_]/.test(char) || (char === '.' && index > 0)) return char;
      return `\\x${byte.toString(16).padStart(2, '0')}`;
    })
    .join('');
}

/**
 * A unit that brings the cluster up at boot through Podman's podman-kube@ template, which runs
 * `podman kube play --replace` on the file and `--down` on stop. Enabling this one unit is enough.
 */
export function kubeUnit(cluster: string, yamlPath: string): { name: string; text: string } {
  const instance = `podman-kube@${escapeSystemdPath(yamlPath)}.service`;
  return {
    name: `dh-podman-${cluster}.service`,
    text: [
      `# The dh-podman cluster ${cluster}, from ${yamlPath}.`,
      `# Install: cp dh-podman-${cluster}.service /etc/systemd/system/ && systemctl daemon-reload`,
      `#          systemctl enable --now dh-podman-${cluster}.service`,
      '[Unit]',
      `Description=dh-podman cluster ${cluster} (podman kube play)`,
      `Requires=${instance}`,
      `After=${instance}`,
      '',
      '[Service]',
      'Type=oneshot',
      'RemainAfterExit=yes',
      'ExecStart=/bin/true',
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
  };
}
