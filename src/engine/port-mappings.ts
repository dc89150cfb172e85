import type { PortMapping } from './pods.js';

/** Published ports as libpod's create calls take them (pods and containers alike). */
export function portMappingsBody(ports: PortMapping[]): object[] {
  return ports.map((port) => ({
    host_port: port.hostPort,
    container_port: port.containerPort,
    protocol: 'tcp',
    ...(port.hostIp ? { host_ip: port.hostIp } : {}),
  }));
}

/** Published ports as inspect reports them: {"8080/tcp": [{HostIp, HostPort}]}. */
export function fromPortBindings(bindings: Record<string, { HostIp: string; HostPort: string }[] | null> | null | undefined): PortMapping[] {
  const ports: PortMapping[] = [];
  for (const [containerPort, list] of Object.entries(bindings ?? {})) {
    for (const binding of list ?? []) {
      ports.push({ containerPort: Number.parseInt(containerPort, 10), hostPort: Number(binding.HostPort), ...(binding.HostIp ? { hostIp: binding.HostIp } : {}) });
    }
  }
  return ports;
}
