import t from 'tap';
import { createServer } from 'node:net';
import { hostPortState } from '../../src/engine/host-ports.js';
import { freePort } from '../support/net.js';

t.test('a port another process holds on loopback is in use for every address', async (t) => {
  const holder = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => holder.once('listening', resolve));
  t.teardown(() => holder.close());
  const port = (holder.address() as { port: number }).port;
  t.equal(await hostPortState({ hostPort: port, containerPort: 8123 }), 'in-use', 'Podman binds 0.0.0.0 without a host IP');
  t.equal(await hostPortState({ hostPort: port, containerPort: 8123, hostIp: '127.0.0.1' }), 'in-use');
});

t.test('a free port is free, and stays free after the check', async (t) => {
  const port = await freePort();
  t.equal(await hostPortState({ hostPort: port, containerPort: 8123 }), 'free');
  t.equal(await hostPortState({ hostPort: port, containerPort: 8123, hostIp: '127.0.0.1' }), 'free', 'the check let go of it');
});

t.test('a host IP this machine does not have is said as such', async (t) => {
  t.equal(await hostPortState({ hostPort: await freePort(), containerPort: 8123, hostIp: '192.0.2.1' }), 'no-such-address');
});
