import t from 'tap';
import { execFileSync } from 'node:child_process';
import { escapeSystemdPath, kubeUnit } from '../../src/cluster/systemd-unit.js';

const paths = ['/etc/dh-podman/kube/prod.yaml', '/srv/my clusters/dh-1.yaml', '/tmp//x/.hidden/ü.yaml', '/'];

t.test('paths escape as systemd-escape --path does', async (t) => {
  let reference: ((path: string) => string) | undefined;
  try {
    execFileSync('systemd-escape', ['--version']);
    reference = (path) => execFileSync('systemd-escape', ['--path', path], { encoding: 'utf8' }).trim();
  } catch {
    // Without systemd on the machine the known answers below still hold.
  }
  for (const path of paths) {
    if (reference) t.equal(escapeSystemdPath(path), reference(path), path);
  }
  t.equal(escapeSystemdPath('/etc/dh-podman/kube/prod.yaml'), 'etc-dh\\x2dpodman-kube-prod.yaml');
});

t.test('the unit pulls in the podman-kube@ instance for the YAML file', async (t) => {
  const unit = kubeUnit('prod', '/etc/dh-podman/kube/prod.yaml');
  t.equal(unit.name, 'dh-podman-prod.service');
  t.match(unit.text, /^Requires=podman-kube@etc-dh\\x2dpodman-kube-prod\.yaml\.service$/m);
  t.match(unit.text, /^WantedBy=multi-user\.target$/m);
});
