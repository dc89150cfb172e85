import t from 'tap';
import { parse } from 'yaml';
import { envoyBootstrap, ENVOY_PATHS } from '../../src/cluster/envoy-config.js';

/** The generated Envoy bootstrap, pinned: what it listens on, what it presents, what it trusts. */

const yaml = envoyBootstrap({
  frontHostname: 'dh.example.test',
  listenPort: 8000,
  frontCertificate: { chain: ENVOY_PATHS.frontCertificate, key: ENVOY_PATHS.frontCertificate },
  internalCaFile: ENVOY_PATHS.internalCas,
  upstreams: [{ hostname: 'dh1.example.test', port: 8123 }],
});
const config = parse(yaml);

t.test('no admin interface', async (t) => {
  t.notOk('admin' in config);
  t.same(Object.keys(config), ['static_resources']);
});

t.test('the listener answers on 8000 with the front certificate, for the front hostname', async (t) => {
  const [listener] = config.static_resources.listeners;
  t.same(listener.address, { socket_address: { address: '0.0.0.0', port_value: 8000 } });
  const chain = listener.filter_chains[0];
  t.equal(chain.transport_socket.typed_config['@type'], 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext');
  t.same(chain.transport_socket.typed_config.common_tls_context.tls_certificates, [
    { certificate_chain: { filename: '/etc/sysconfig/deephaven/tls/envoy.pem' }, private_key: { filename: '/etc/sysconfig/deephaven/tls/envoy.pem' } },
  ]);
  const routes = chain.filters[0].typed_config.route_config.virtual_hosts[0];
  t.same(routes.domains, ['dh.example.test', 'dh.example.test:8000']);
  t.same(routes.routes, [{ match: { prefix: '/' }, route: { cluster: 'dh1_example_test' } }]);
});

t.test('upstreams are re-encrypted and validated against the internal CAs for their own name', async (t) => {
  const [cluster] = config.static_resources.clusters;
  t.equal(cluster.name, 'dh1_example_test');
  t.same(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, { address: 'dh1.example.test', port_value: 8123 });
  const tls = cluster.transport_socket.typed_config;
  t.equal(tls['@type'], 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
  t.equal(tls.sni, 'dh1.example.test');
  t.same(tls.common_tls_context.validation_context, {
    trusted_ca: { filename: '/etc/sysconfig/deephaven/trust/truststore-internal.pem' },
    match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'dh1.example.test' } }],
  });
});

t.test('the same plan gives the same bytes', async (t) => {
  t.equal(
    envoyBootstrap({
      frontHostname: 'dh.example.test',
      listenPort: 8000,
      frontCertificate: { chain: ENVOY_PATHS.frontCertificate, key: ENVOY_PATHS.frontCertificate },
      internalCaFile: ENVOY_PATHS.internalCas,
      upstreams: [{ hostname: 'dh1.example.test', port: 8123 }],
    }),
    yaml,
  );
});
