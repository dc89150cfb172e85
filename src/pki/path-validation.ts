import { isCA, quotedName, type Certificate } from './certificate.js';
import { extensionSyntaxProblem } from './extension-syntax.js';
import { invalidConstraint, nameConstraintViolation } from './name-constraints.js';

/**
 * Certification path building and RFC 5280 §6 validation: from the leaf, through the
 * certificates given (any order, duplicates and spares tolerated), to a trust anchor of the CA
 * file. Every candidate path is validated; the first valid one wins, and when none is valid the
 * one with the fewest problems is reported, so the operator hears the real reason.
 */

export type PathCode =
  | 'CHAIN_BAD_SIGNATURE'
  | 'ISSUER_NOT_CA'
  | 'ISSUER_NO_KEY_CERT_SIGN'
  | 'PATH_LENGTH_EXCEEDED'
  | 'NAME_CONSTRAINTS_VIOLATED'
  | 'CRITICAL_EXTENSION_UNKNOWN'
  | 'CERT_MALFORMED'
  | 'CERT_EXPIRED'
  | 'CERT_NOT_YET_VALID';

export interface PathProblem {
  code: PathCode;
  cert: Certificate;
  message: string;
  fix: string;
}

export interface CertPath {
  /** Leaf first, each certificate issued by the next; the last one is the trust anchor. */
  certs: Certificate[];
  problems: PathProblem[];
}

export type PathResult =
  | { status: 'valid'; path: CertPath }
  | { status: 'invalid'; path: CertPath }
  /** No path reaches an anchor; `partial` is the longest chain of issuers found from the leaf. */
  | { status: 'no-path'; partial: Certificate[] };

export interface PathOptions {
  /** The validation time. */
  time: Date;
  /** The most intermediates a path may hold (a caller's limit; none by default). */
  maxIntermediates?: number | undefined;
}

/** Name-constraint comparisons one path may cost before it is refused as hostile. */
const MAX_NAME_CHECKS = 1 << 16;

/** Extensions the JVM's PKIX validator processes; any other critical one fails the path. */
const KNOWN_CRITICAL = new Set([
  '2.5.29.15', // keyUsage
  '2.5.29.19', // basicConstraints
  '2.5.29.17', // subjectAltName
  '2.5.29.37', // extKeyUsage
  '2.5.29.30', // nameConstraints
  '2.5.29.32', // certificatePolicies
  '2.5.29.33', // policyMappings
  '2.5.29.36', // policyConstraints
  '2.5.29.54', // inhibitAnyPolicy
]);

/** Bounds that keep hostile inputs (cycles, exponential fan-out) cheap. */
const MAX_DEPTH = 12;
const MAX_PATHS = 64;
const MAX_STEPS = 2000;

export function validatePath(leaf: Certificate, pool: Certificate[], anchors: Certificate[], options: PathOptions): PathResult {
  const anchorSet = new Set(anchors.map((cert) => cert.sha256));
  const candidates = unique([...anchors, ...pool]);
  let best: CertPath | undefined;
  let partial: Certificate[] = [leaf];
  let explored = 0;
  let steps = 0;

  const issuersOf = (cert: Certificate, path: Certificate[]) =>
    candidates.filter((candidate) => candidate.subjectDer.equals(cert.issuerDer) && !path.some((used) => used.sha256 === candidate.sha256));

  const search = (path: Certificate[]): CertPath | undefined => {
    if (++steps > MAX_STEPS) return undefined;
    const current = path[path.length - 1]!;
    if (path.length > partial.length && signs(current, path[path.length - 2])) partial = [...path];
    if (anchorSet.has(current.sha256)) {
      explored++;
      const checked: CertPath = { certs: [...path], problems: checkPath(path, options) };
      if (!best || checked.problems.length < best.problems.length) best = checked;
      return checked.problems.length === 0 ? checked : undefined;
    }
    if (path.length >= MAX_DEPTH) return undefined;
    // Anchors first: the shortest path to trust is the one a TLS client takes too.
    const next = issuersOf(current, path).sort((a, b) => Number(anchorSet.has(b.sha256)) - Number(anchorSet.has(a.sha256)));
    for (const issuer of next) {
      if (explored >= MAX_PATHS || steps > MAX_STEPS) return undefined;
      const found = search([...path, issuer]);
      if (found) return found;
    }
    return undefined;
  };

  const valid = search([leaf]);
  if (valid) return { status: 'valid', path: valid };
  if (best) return { status: 'invalid', path: best };
  return { status: 'no-path', partial };
}

/** True when `child` is absent (the leaf) or its signature verifies with `cert`'s key. */
function signs(cert: Certificate, child: Certificate | undefined): boolean {
  return !child || verifies(child, cert);
}

function verifies(child: Certificate, issuer: Certificate): boolean {
  try {
    return child.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

function unique(certs: Certificate[]): Certificate[] {
  const seen = new Set<string>();
  return certs.filter((cert) => !seen.has(cert.sha256) && seen.add(cert.sha256));
}

/** How a certificate is named in messages: its role in the path and its subject. */
export function roleName(path: Certificate[], index: number): string {
  const cert = path[index]!;
  const role = index === 0 ? 'leaf' : index === path.length - 1 ? (cert.selfIssued ? 'root' : 'trust anchor') : 'intermediate';
  return `${role} ${quotedName(cert.subject)}`;
}

export function checkPath(path: Certificate[], options: PathOptions): PathProblem[] {
  const problems: PathProblem[] = [];
  const add = (code: PathCode, index: number, message: string, fix: string) => problems.push({ code, cert: path[index]!, message, fix });
  const last = path.length - 1;
  const intermediates = path.slice(1, last).filter((cert) => !cert.selfIssued).length;
  if (options.maxIntermediates !== undefined && intermediates > options.maxIntermediates) {
    add('PATH_LENGTH_EXCEEDED', 0, `the path holds ${intermediates} intermediates, more than the limit of ${options.maxIntermediates}`, 'issue the leaf from a CA closer to the root');
  }
  let nameChecks = 0;

  path.forEach((cert, index) => {
    const name = roleName(path, index);
    checkValidity(cert, name, options.time, (code, message, fix) => add(code, index, message, fix));
    checkStructure(cert, name, index === 0, (code, message, fix) => add(code, index, message, fix));
    if (index < last) {
      const issuer = path[index + 1]!;
      const issuerName = roleName(path, index + 1);
      if (!cert.signatureAlgorithmConsistent) {
        add('CHAIN_BAD_SIGNATURE', index, `the ${name} names two different signature algorithms (TBS and outer)`, 'reissue it');
      } else if (!verifies(cert, issuer)) {
        add('CHAIN_BAD_SIGNATURE', index, `the signature of the ${name} does not verify with the key of the ${issuerName}, which has its issuer's name`, `use the CA certificate whose key signed it (a CA reissued with a new key has a new certificate)`);
      }
    }
    if (index === 0) return;
    // Every certificate above the leaf issues one: it must be a CA allowed to sign certificates.
    if (!isCA(cert) && !(index === last && cert.version === 1)) {
      add('ISSUER_NOT_CA', index, `the ${name} issues ${roleName(path, index - 1)} but is not a CA (${cert.basicConstraints ? 'basicConstraints CA:FALSE' : 'no basicConstraints'})`, `reissue ${quotedName(cert.subject)} as a CA (basicConstraints critical, CA:TRUE)`);
    }
    if (cert.keyUsage && !cert.keyUsage.includes('keyCertSign')) {
      add('ISSUER_NO_KEY_CERT_SIGN', index, `the ${name} lacks keyCertSign in its Key Usage (${cert.keyUsage.join(', ') || 'empty'}), so it may not sign certificates`, `reissue ${quotedName(cert.subject)} with keyUsage keyCertSign, cRLSign`);
    }
    const limit = cert.basicConstraints?.pathLength;
    if (limit !== undefined) {
      // RFC 5280 6.1.4 (l, m): self-issued intermediates do not count.
      const below = path.slice(1, index).filter((c) => !c.selfIssued).length;
      if (below > limit) {
        add('PATH_LENGTH_EXCEEDED', index, `the ${name} allows ${limit} CA(s) below it (pathLenConstraint ${limit}) but ${below} follow`, `issue the leaf directly from a CA at most ${limit} level(s) below ${quotedName(cert.subject)}, or reissue that CA with a larger pathlen`);
      }
    }
    const constraints = cert.nameConstraints;
    if (constraints) {
      const invalid = invalidConstraint(constraints);
      if (invalid) add('NAME_CONSTRAINTS_VIOLATED', index, `the ${name} cannot be honoured: ${invalid}`, `reissue ${quotedName(cert.subject)} with valid name constraints`);
      const subtrees = constraints.permitted.length + constraints.excluded.length;
      nameChecks += path.slice(0, index).reduce((sum, c) => sum + subtrees * (1 + (c.san?.dns.length ?? 0) + (c.san?.ip.length ?? 0)), 0);
      if (nameChecks > MAX_NAME_CHECKS) {
        add('NAME_CONSTRAINTS_VIOLATED', index, `the ${name} has ${subtrees} name constraints to check against the names below it, more than ${MAX_NAME_CHECKS} comparisons`, 'use fewer name constraints and subjectAltName entries');
        return;
      }
      for (let below = index - 1; below >= 0; below--) {
        const subject = path[below]!;
        if (below > 0 && subject.selfIssued) continue;
        const violation = nameConstraintViolation(subject, constraints, true);
        if (violation) {
          add('NAME_CONSTRAINTS_VIOLATED', below, `the ${roleName(path, below)} breaks the name constraints of the ${name}: ${violation}`, `issue it for names ${quotedName(cert.subject)} permits, or from a CA without those constraints`);
        }
      }
    }
  });
  return problems;
}

type Report = (code: PathCode, message: string, fix: string) => void;

function checkValidity(cert: Certificate, name: string, time: Date, add: Report): void {
  // Certificate times have whole seconds (RFC 5280 4.1.2.5): compare at that granularity.
  const now = Math.floor(time.getTime() / 1000) * 1000;
  if (now < cert.notBefore.getTime()) {
    add('CERT_NOT_YET_VALID', `the ${name} is not valid before ${cert.notBefore.toISOString()}`, "check the host's clock, or reissue the certificate with a start date in the past");
  } else if (now > cert.notAfter.getTime()) {
    add('CERT_EXPIRED', `the ${name} expired on ${cert.notAfter.toISOString()}`, 'reissue it and rotate');
  }
}

function checkStructure(cert: Certificate, name: string, isLeaf: boolean, add: Report): void {
  const seen = new Set<string>();
  for (const extension of cert.extensions) {
    if (seen.has(extension.oid)) add('CERT_MALFORMED', `the ${name} has the extension ${extension.oid} twice (RFC 5280 4.2)`, 'reissue it');
    seen.add(extension.oid);
    const syntax = extensionSyntaxProblem(extension.oid, extension.value);
    if (syntax) {
      add('CERT_MALFORMED', `the ${name} has the ${syntax.name} extension, whose value is not ${syntax.type} (RFC 5280 ${syntax.section})`, 'reissue it with a well-formed extension, or without it');
    }
    if (extension.critical && !KNOWN_CRITICAL.has(extension.oid)) {
      add('CRITICAL_EXTENSION_UNKNOWN', `the ${name} has a critical extension ${extension.oid} that Java's validator does not process, so Java refuses the path`, 'reissue it without that extension, or with it non-critical');
    }
  }
  const badDns = (cert.san?.dns ?? []).find((name) => !isDnsName(name));
  if (badDns !== undefined) {
    add('CERT_MALFORMED', `the ${name} has the subjectAltName DNS:${badDns}, which is not a DNS name (letters, digits, hyphens; a wildcard only as the whole first label), and Java refuses to parse it`, 'reissue it with valid DNS names');
  }
  if (!cert.extensions.every((e) => e.oid !== '2.5.29.36' || e.critical)) {
    add('CERT_MALFORMED', `the ${name} has a non-critical policyConstraints extension (RFC 5280 4.2.1.11 requires it critical)`, 'reissue it with policyConstraints critical');
  }
  // A client that ignores a non-critical nameConstraints would accept names the CA may not
  // issue, so such constraints protect nobody (RFC 5280 4.2.1.10: MUST be critical).
  if (cert.extensions.some((e) => e.oid === '2.5.29.30' && !e.critical)) {
    add('CERT_MALFORMED', `the ${name} has a non-critical nameConstraints extension, which clients may ignore (RFC 5280 4.2.1.10 requires it critical)`, 'reissue it with nameConstraints critical');
  }
  if (isLeaf && !isCA(cert) && cert.keyUsage?.includes('keyCertSign')) {
    add('CERT_MALFORMED', `the ${name} is not a CA but its Key Usage has keyCertSign (RFC 5280 4.2.1.3)`, 'reissue it without keyCertSign');
  }
  if (isLeaf && cert.nameConstraints) {
    add('CERT_MALFORMED', `the ${name} is not a CA but carries nameConstraints (RFC 5280 4.2.1.10)`, 'reissue it without nameConstraints');
  }
  if (cert.subjectDer.length <= 2 && !cert.extensions.some((e) => e.oid === '2.5.29.17' && e.critical)) {
    add('CERT_MALFORMED', `the ${name} has an empty subject and its subjectAltName is not critical (RFC 5280 4.2.1.6)`, 'reissue it with a subject, or with a critical subjectAltName');
  }
}

function isDnsName(name: string): boolean {
  const labels = name.replace(/\.$/, '').split('.');
  return labels.every((label, index) => (index === 0 && label === '*' && labels.length > 1) || /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}
