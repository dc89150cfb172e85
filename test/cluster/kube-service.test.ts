import t from 'tap';
import { kubeService } from '../../src/cluster/kube-service.js';

/** The Service is named in the certificate when the FQDN is one Kubernetes DNS answers. */

t.test('a FQDN of the Service form names the Service and its namespace', async (t) => {
  for (const hostname of ['dh1.prod.svc.cluster.local', 'dh1.prod.svc', 'DH1.prod.svc.corp.example']) {
    const { service, warning } = kubeService({ cluster: 'dev', pod: 'dev-dh1', hostname, envoyPort: undefined });
    t.equal(service.metadata?.name, 'dh1', hostname);
    t.equal(service.metadata?.annotations?.['io.dh-podman.namespace'], 'prod');
    t.equal(warning, undefined);
    t.doesNotThrow(() => service.validate());
  }
});

t.test('any other FQDN gets a Service named after the pod, and a warning', async (t) => {
  const { service, warning } = kubeService({ cluster: 'dev', pod: 'dev-dh1', hostname: 'dh1.example.com', envoyPort: 8000 });
  t.equal(service.metadata?.name, 'dev-dh1');
  t.match(warning, /dh1\.example\.com is not a Kubernetes Service name .*Service dev-dh1 answers as dev-dh1\.NAMESPACE\.svc/);
  t.match(service.spec, { clusterIP: 'None', selector: { 'io.dh-podman.pod': 'dev-dh1' }, ports: [{ name: 'service', port: 8123 }, { name: 'front', port: 8000 }] });
});
