/**
 * Each top-level command's line in `dh-podman --help`: its term (name, options, arguments, as
 * commander prints them) and its description. The top-level help is made from this table
 * alone, so `--help` and `--version` load no command module; each command module takes its
 * description from here, so the two cannot say different things.
 * test/cli/conventions.test.ts holds the table to the terms the real commands print.
 */
export const COMMAND_SUMMARIES = {
  cert: { term: 'cert', description: "inspect, check and create TLS certificates, and list a cluster's by expiry (replaces create_dh_cert.sh)" },
  trust: { term: 'trust', description: 'build trust bundles, PKCS#12 truststores and keystores Java services load' },
  base: { term: 'base', description: 'make the OS base image the images build on, without a registry' },
  build: { term: 'build [options]', description: 'build the images under images/ through the Podman API (replaces build_images.sh)' },
  start: { term: 'start [options]', description: "start one machine's pod with its TLS volume, keystore and trust wired in (replaces start_command.sh)" },
  status: { term: 'status', description: 'the pods dh-podman started: hostname, state, ports, TLS profile, trust source, days until the certificate expires' },
  stop: { term: 'stop [pod...]', description: 'stop pods started by dh-podman (all of them when none is named); their files stay' },
  logs: { term: 'logs [options] <pod>', description: "print the service container's log of a pod" },
  up: { term: 'up [options]', description: 'for developers: CA, certificate, base image, image and a running Deephaven server over TLS, in one command' },
  plan: { term: 'plan [options]', description: 'check a cluster file and show what bringing it up would do, pod by pod (the same as "up -f FILE --dry-run")' },
  down: { term: 'down [options]', description: 'remove the pods and network "up -f" made for a cluster, and nothing else' },
  rotate: { term: 'rotate [options] [pod...]', description: 'pick up new certificates and CA files: check them all, then restart the affected pods one at a time' },
  mtls: { term: 'mtls', description: 'mutual TLS between the machines of a cluster' },
  kube: { term: 'kube', description: 'export a cluster to Kubernetes objects (podman kube play, or a Kubernetes cluster)' },
  doctor: {
    term: 'doctor [options]',
    description: "check that this host's Podman can run dh-podman's machines (with -f: every trust path of a running cluster), and say how to fix what cannot",
  },
  etcd: { term: 'etcd', description: "the cluster's etcd members (the etcd section of a cluster file)" },
} as const satisfies Record<string, { term: string; description: string }>;

export type TopCommandName = keyof typeof COMMAND_SUMMARIES;
