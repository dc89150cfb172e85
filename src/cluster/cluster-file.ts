import type { ErrorObject } from 'ajv';
import { realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isNode, type Document, type LineCounter } from 'yaml';
import { PACKAGE_ROOT } from '../base/version.js';
import { checkTlsVolume } from '../pki/check.js';
import { parseClusterFile, type ClusterIssue } from './cluster-file-parse.js';
// Compiled from schema/cluster.schema.json by scripts/generate-schema-validator.mjs: compiling
// it at run time took most of the time of reading a cluster file.
import compiledValidator from './cluster-schema-validator.js';
import { etcdIssues } from './etcd-checks.js';
import type { EtcdSpec } from './etcd-spec.js';

/** The cluster file, validated; relative paths already resolved against the file's directory. */
export interface ClusterSpec {
  cluster: string;
  network?: string;
  /** Mutual TLS across the cluster's machines (default off). */
  mtls?: MtlsLevel;
  stateDir?: string;
  images?: { baseImage?: string; tagPrefix?: string; caCertFile?: string };
  trust?: { caCertFile?: string; internalCaCertFile?: string };
  certificates?: { caDir?: string };
  envoy?: { hostname: string; port?: number; image?: string };
  etcd?: EtcdSpec;
  pods: PodSpecEntry[];
}

export interface PodSpecEntry {
  name: string;
  hostname: string;
  image?: string;
  publish?: number[];
  certificate: { mode: 'existing'; tlsVolume: string } | { mode: 'generate'; tlsVolume?: string } | { mode: 'ca'; caCert: string; caKey: string; tlsVolume?: string };
}

export type { ClusterIssue };

export const MTLS_LEVELS = ['off', 'want', 'need'] as const;
export type MtlsLevel = (typeof MTLS_LEVELS)[number];

export const SCHEMA_PATH = `${PACKAGE_ROOT}schema/cluster.schema.json`;

/** The schema as ajv compiled it ahead of time (allErrors: every problem reported in one run). */
const validator = compiledValidator as ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

function validate(data: unknown) {
  const valid = validator(data);
  return { valid, errors: validator.errors ?? [] };
}

/**
 * Reads and checks a cluster file (YAML or JSON) completely before anything else happens: the
 * schema (ajv), then what a schema cannot say (unique names, hostnames and ports, one TLS
 * volume per machine, each existing certificate valid for its hostname). All problems at once.
 */
export interface LoadOptions {
  /**
   * Run `cert check` on the pods' existing certificates (default). Commands that must work
   * when a certificate has gone bad, down and cert expiry, turn it off.
   */
  checkCertificates?: boolean;
}

export async function loadClusterFile(file: string, options: LoadOptions = {}): Promise<{ spec: ClusterSpec | undefined; issues: ClusterIssue[] }> {
  const parsed = await parseClusterFile(file);
  if (!('data' in parsed)) return { spec: undefined, issues: parsed.issues };
  const { data, document, lines } = parsed;
  const at = (path: (string | number)[]) => position(document, lines, path);
  const { valid, errors } = validate(data);
  const issues: ClusterIssue[] = errors.filter(relevant).map((error) => fromSchemaError(error, at));
  // The rules a schema cannot state run even when the schema fails, on the parts that are well
  // formed, so one run reports every problem.
  const base = dirname(resolve(file));
  issues.push(...(await crossFieldIssues(wellFormedPods(data, base), at, trustFile(data, base), options.checkCertificates !== false, mtlsOn(data))));
  issues.push(...(await etcdIssues(data, base, at, options.checkCertificates !== false)));
  if (!valid || issues.length > 0) return { spec: undefined, issues };
  return { spec: resolvePaths(data as ClusterSpec, base), issues };
}

interface PodFacts {
  index: number;
  name?: string;
  hostname?: string;
  publish: { port: number; at: number }[];
  tlsVolume?: string;
  existing: boolean;
}

/** What can be read safely from each pod entry, whatever the schema thinks of the rest. */
function wellFormedPods(data: unknown, base: string): PodFacts[] {
  const pods = (data as { pods?: unknown })?.pods;
  if (!Array.isArray(pods)) return [];
  return pods.flatMap((pod, index) => {
    if (typeof pod !== 'object' || pod === null) return [];
    const entry = pod as Record<string, unknown>;
    const certificate = (typeof entry.certificate === 'object' && entry.certificate !== null ? entry.certificate : {}) as Record<string, unknown>;
    const publish = Array.isArray(entry.publish) ? entry.publish : [];
    return [{
      index,
      ...(typeof entry.name === 'string' ? { name: entry.name } : {}),
      ...(typeof entry.hostname === 'string' ? { hostname: entry.hostname } : {}),
      publish: publish.flatMap((port, at) => (typeof port === 'number' ? [{ port, at }] : [])),
      ...(typeof certificate.tlsVolume === 'string' ? { tlsVolume: resolve(base, certificate.tlsVolume) } : {}),
      existing: certificate.mode === 'existing',
    }];
  });
}

/** Under want or need every machine presents its certificate as a client: clientAuth is then required. */
function mtlsOn(data: unknown): boolean {
  const level = (data as { mtls?: unknown })?.mtls;
  return level === 'want' || level === 'need';
}

function trustFile(data: unknown, base: string): string | undefined {
  const file = (data as { trust?: { caCertFile?: unknown } })?.trust?.caCertFile;
  return typeof file === 'string' ? resolve(base, file) : undefined;
}

async function crossFieldIssues(
  pods: PodFacts[],
  at: (path: (string | number)[]) => { line?: number; column?: number },
  caCertFile: string | undefined,
  checkCertificates: boolean,
  mtls: boolean,
): Promise<ClusterIssue[]> {
  const issues: ClusterIssue[] = [];
  const issue = (code: string, path: (string | number)[], message: string, fix: string) =>
    issues.push({ code, path: pointer(path), line: at(path).line, column: at(path).column, message, fix });
  const firstSeen = new Map<string, number>();
  const seen = (kind: string, value: string, index: number) => {
    const key = `${kind}\0${value}`;
    const first = firstSeen.get(key);
    if (first === undefined) firstSeen.set(key, index);
    return first;
  };
  for (const pod of pods) {
    const { index } = pod;
    const name = pod.name === undefined ? undefined : seen('name', pod.name, index);
    if (name !== undefined) issue('CLUSTER_DUPLICATE_NAME', ['pods', index, 'name'], `pod name "${pod.name}" is also used by pods[${name}]`, 'give every pod its own name');
    const host = pod.hostname === undefined ? undefined : seen('hostname', pod.hostname.toLowerCase(), index);
    if (host !== undefined) issue('CLUSTER_DUPLICATE_HOSTNAME', ['pods', index, 'hostname'], `hostname "${pod.hostname}" is also pods[${host}]'s`, 'every machine has its own FQDN');
    for (const { port, at: p } of pod.publish) {
      const other = seen('port', String(port), index);
      if (other !== undefined && other !== index) issue('CLUSTER_PORT_TAKEN', ['pods', index, 'publish', p], `host port ${port} is already published by pods[${other}]`, 'publish each host port once');
    }
    const volume = pod.tlsVolume;
    if (volume) {
      const real = await realpath(volume).catch(() => volume);
      const other = seen('volume', real, index);
      if (other !== undefined) {
        issue('CLUSTER_SHARED_TLS_VOLUME', ['pods', index, 'certificate', 'tlsVolume'], `the TLS volume is also pods[${other}]'s; one certificate per machine`, 'give this pod its own TLS volume (a shared key lets each machine impersonate the other)');
      }
    }
    if (checkCertificates && pod.existing && volume && pod.hostname) {
      const report = await checkTlsVolume({ hostname: pod.hostname, tlsVolume: volume, caCertFile, mtls });
      for (const finding of report.findings.filter((f) => f.severity === 'error')) {
        issue(finding.code, ['pods', index, 'certificate', 'tlsVolume'], `${finding.file}: ${finding.message}`, finding.fix);
      }
    }
  }
  return issues;
}

/** With oneOf + discriminator, ajv also reports the failed branches; the specific error suffices. */
function relevant(error: ErrorObject): boolean {
  return error.keyword !== 'oneOf' && error.keyword !== 'if';
}

function fromSchemaError(error: ErrorObject, at: (path: (string | number)[]) => { line?: number; column?: number }): ClusterIssue {
  const path = error.instancePath.split('/').slice(1).map((part) => (/^\d+$/.test(part) ? Number(part) : part.replace(/~1/g, '/').replace(/~0/g, '~')));
  const params = error.params as Record<string, unknown>;
  let message = error.message ?? 'is invalid';
  let fix = 'see schema/cluster.schema.json';
  let target = path;
  switch (error.keyword) {
    case 'additionalProperties':
      target = [...path, String(params.additionalProperty)];
      message = `unknown key "${String(params.additionalProperty)}"`;
      fix = 'remove it, or check its spelling against schema/cluster.schema.json';
      break;
    case 'required':
      message = `"${String(params.missingProperty)}" is missing`;
      fix = `add ${String(params.missingProperty)}`;
      break;
    case 'type':
      message = `must be ${params.type === 'integer' ? 'a whole number' : `of type ${String(params.type)}`}`;
      fix = `write it as ${params.type === 'integer' ? 'a number without quotes' : `${/^[aeiou]/.test(String(params.type)) ? 'an' : 'a'} ${String(params.type)}`}`;
      break;
    case 'pattern':
      message = 'is not in the expected form';
      fix = target.includes('hostname') ? 'use a DNS name (letters, digits, hyphens, dots)' : target.includes('etcdIp') ? 'write an IPv4 address, e.g. 192.0.2.10' : 'use lower-case letters, digits and hyphens';
      break;
    case 'minimum':
    case 'maximum':
      message = `is out of range (${error.message})`;
      fix = 'use a port from 1 to 65535';
      break;
    case 'enum':
      message = `must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
      fix = `write ${(params.allowedValues as unknown[]).join(' or ')}`;
      break;
    case 'discriminator':
      message = 'mode must be existing, generate or ca';
      fix = 'set certificate.mode to existing (a TLS volume), generate (the cluster CA issues one) or ca (your CA issues one)';
      break;
  }
  return { code: 'CLUSTER_SCHEMA', path: pointer(target), line: at(target).line, column: at(target).column, message, fix };
}

function position(document: Document, lines: LineCounter, path: (string | number)[]): { line?: number; column?: number } {
  // The deepest node that exists on the path: a missing key is reported where it should be.
  for (let length = path.length; length >= 0; length--) {
    const node = document.getIn(path.slice(0, length), true);
    if (isNode(node) && node.range) {
      const pos = lines.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return {};
}

function pointer(path: (string | number)[]): string {
  return `/${path.join('/')}`;
}

function resolvePaths(spec: ClusterSpec, base: string): ClusterSpec {
  const at = (path: string | undefined) => (path === undefined ? undefined : resolve(base, path));
  return {
    ...spec,
    ...(spec.stateDir ? { stateDir: at(spec.stateDir)! } : {}),
    ...(spec.images ? { images: { ...spec.images, ...(spec.images.caCertFile ? { caCertFile: at(spec.images.caCertFile)! } : {}) } } : {}),
    ...(spec.trust
      ? { trust: { ...(spec.trust.caCertFile ? { caCertFile: at(spec.trust.caCertFile)! } : {}), ...(spec.trust.internalCaCertFile ? { internalCaCertFile: at(spec.trust.internalCaCertFile)! } : {}) } }
      : {}),
    ...(spec.certificates?.caDir ? { certificates: { caDir: at(spec.certificates.caDir)! } } : {}),
    ...(spec.etcd
      ? {
          etcd: {
            ...spec.etcd,
            ...(spec.etcd.ca ? { ca: { cert: at(spec.etcd.ca.cert)!, key: at(spec.etcd.ca.key)! } } : {}),
            ...(spec.etcd.tlsVolumes ? { tlsVolumes: spec.etcd.tlsVolumes.map((volume) => at(volume)!) } : {}),
          },
        }
      : {}),
    pods: spec.pods.map((pod) => ({
      ...pod,
      certificate: {
        ...pod.certificate,
        ...(pod.certificate.tlsVolume ? { tlsVolume: at(pod.certificate.tlsVolume)! } : {}),
        ...(pod.certificate.mode === 'ca' ? { caCert: at(pod.certificate.caCert)!, caKey: at(pod.certificate.caKey)! } : {}),
      } as PodSpecEntry['certificate'],
    })),
  };
}
