import * as crypto from 'node:crypto';
import { X509Certificate } from 'node:crypto';
import { asn1, forgeUtil, type Asn1 } from './asn1-codec.js';
import { readSkeleton, type Skeleton } from './certificate-skeleton.js';
import { decodeBasicConstraints, decodeExtKeyUsage, decodeKeyUsage, decodeSubjectAltName, type AltNames, type KeyUsageName } from './extension-values.js';

/**
 * One parsed certificate with the fields the rules and `cert inspect` need. node:crypto parses
 * and verifies; node-forge's ASN.1 reader supplies what node:crypto does not expose (key usage
 * bits, basicConstraints path length, typed SAN entries).
 */
export interface Certificate {
  x509: X509Certificate;
  der: Buffer;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  sha256: string;
  san: SubjectAltNames | undefined;
  /** Undefined when the extension is absent (which RFC 5280 reads as "any usage"). */
  keyUsage: KeyUsage[] | undefined;
  extKeyUsage: string[] | undefined;
  basicConstraints: { ca: boolean; pathLength: number | undefined } | undefined;
  publicKey: PublicKeyInfo;
  selfIssued: boolean;
  /** X.509 version as written (1 or 3; 2 is rare). */
  version: number;
  /** DER of the issuer and subject Names, compared byte for byte when building paths. */
  issuerDer: Buffer;
  subjectDer: Buffer;
  /** The subject as RDNs, each "oid=normalised value" joined by "+", for directoryName constraints. */
  subjectRdns: string[];
  /** Every extension as written: OID and critical flag, duplicates kept (RFC 5280 4.2 forbids them). */
  extensions: ExtensionInfo[];
  nameConstraints: NameConstraints | undefined;
  /** The outer signatureAlgorithm OID, and whether the TBS copy of it is the same. */
  signatureAlgorithm: string;
  signatureAlgorithmConsistent: boolean;
}

export interface ExtensionInfo {
  oid: string;
  critical: boolean;
  /** The extnValue octets: the DER of the extension's own syntax. */
  value: Buffer;
}

/** One GeneralSubtree base of a nameConstraints extension (RFC 5280 4.2.1.10). */
export type Subtree =
  | { type: 'dns'; value: string }
  | { type: 'ip'; address: Buffer; mask: Buffer }
  | { type: 'dn'; rdns: string[] }
  /** Forms we do not evaluate (rfc822Name, URI, otherName…): kept so their presence is known. */
  | { type: 'other'; tag: number };

export interface NameConstraints {
  permitted: Subtree[];
  excluded: Subtree[];
  /** True when the extension's value does not decode as NameConstraints. */
  malformed: boolean;
}

/** A SubjectAltName's entries by kind (extension-values.ts reads them). */
export type SubjectAltNames = AltNames;

export type KeyUsage = KeyUsageName;

export interface PublicKeyInfo {
  type: string;
  bits: number | undefined;
  curve: string | undefined;
  /** The SPKI algorithm OID, and for EC the named-curve OID or 'explicit' (parameters inline). */
  algorithmOid: string;
  curveOid: string | undefined;
}

const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};

const OID = {
  subjectAltName: '2.5.29.17',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
} as const;

/**
 * Throws node's own error for bytes that are not a certificate; callers turn that into a rule.
 *
 * Fields are read when first asked for. What a truststore needs of every CA (subject and issuer
 * text, validity, basicConstraints, fingerprint) comes from a walk of the DER skeleton
 * (readSkeleton below); node:crypto's X509Certificate (about 0.2 ms per certificate in
 * OpenSSL 3) and forge's ASN.1 codec are only reached by the fields that need them.
 * That is what makes a truststore of the host's ~150 CAs cost a few milliseconds. Bytes the walk
 * does not read as strict DER (BER lengths, an unusual version) take the old path: node parses
 * them at once and throws when it cannot.
 */
export function parseCertificate(der: Buffer): Certificate {
  return new ParsedCertificate(der);
}

/** Marks a lazily computed field whose value may itself be undefined. */
const NOT_YET: unique symbol = Symbol('not yet computed');
type Lazy<T> = T | typeof NOT_YET;

/**
 * A class rather than an object literal of getters and memo closures: a CLI parses the host's
 * ~150 CAs once, interpreted, and a literal's two dozen getters were defined one by one on each
 * certificate, with a dozen closures besides.
 */
class ParsedCertificate implements Certificate {
  private readonly skeleton: Skeleton | undefined;
  private node: X509Certificate | undefined;
  private raw: RawFields | undefined;
  private subjectText: string | undefined;
  private issuerText: string | undefined;
  private notBeforeDate: Date | undefined;
  private notAfterDate: Date | undefined;
  private sha256Hex: string | undefined;
  private publicKeyInfo: PublicKeyInfo | undefined;
  private basicConstraintsValue: Lazy<Certificate['basicConstraints']> = NOT_YET;
  private sanValue: Lazy<SubjectAltNames | undefined> = NOT_YET;
  private keyUsageValue: Lazy<KeyUsage[] | undefined> = NOT_YET;
  private extKeyUsageValue: Lazy<string[] | undefined> = NOT_YET;

  constructor(readonly der: Buffer) {
    const skeleton = readSkeleton(der);
    this.skeleton = skeleton;
    // Without the skeleton, node and forge read everything now, as before: bytes they refuse
    // throw here. So does node when the walk left a field to it (an unusual name or time), so
    // that a certificate node refuses is never found out later, in a getter.
    const complete = skeleton && skeleton.subject !== undefined && skeleton.issuer !== undefined && skeleton.notBefore && skeleton.notAfter;
    if (!complete) this.node = new X509Certificate(der);
    if (!skeleton) this.raw = readRaw(der);
  }

  get x509(): X509Certificate {
    return (this.node ??= new X509Certificate(this.der));
  }

  /** The fields node:crypto does not expose, read with forge's ASN.1 codec on first use. */
  private get fields(): RawFields {
    return (this.raw ??= readRaw(this.der));
  }

  /** An extension's value decoded, undefined when the certificate has none (or it does not parse). */
  private extension<T>(oid: string, decode: (value: string) => T | undefined): T | undefined {
    const value = this.fields.values.get(oid);
    return value === undefined ? undefined : decode(value);
  }

  get subject(): string {
    return (this.subjectText ??= this.skeleton?.subject ?? oneLineName(this.x509.subject));
  }

  get issuer(): string {
    return (this.issuerText ??= this.skeleton?.issuer ?? oneLineName(this.x509.issuer));
  }

  get serialNumber(): string {
    return this.x509.serialNumber;
  }

  get notBefore(): Date {
    return (this.notBeforeDate ??= this.skeleton?.notBefore ?? new Date(this.x509.validFrom));
  }

  get notAfter(): Date {
    return (this.notAfterDate ??= this.skeleton?.notAfter ?? new Date(this.x509.validTo));
  }

  get sha256(): string {
    return (this.sha256Hex ??= hashHex(this.der));
  }

  get san(): SubjectAltNames | undefined {
    if (this.sanValue === NOT_YET) this.sanValue = this.extension(OID.subjectAltName, decodeSubjectAltName);
    return this.sanValue;
  }

  get keyUsage(): KeyUsage[] | undefined {
    if (this.keyUsageValue === NOT_YET) this.keyUsageValue = this.extension(OID.keyUsage, decodeKeyUsage);
    return this.keyUsageValue;
  }

  get extKeyUsage(): string[] | undefined {
    if (this.extKeyUsageValue === NOT_YET) {
      this.extKeyUsageValue = this.extension(OID.extKeyUsage, (value) => {
        const oids = decodeExtKeyUsage(value);
        return oids && [...new Set(oids.map((oid) => EKU_NAMES[oid] ?? oid))];
      });
    }
    return this.extKeyUsageValue;
  }

  get basicConstraints(): Certificate['basicConstraints'] {
    if (this.basicConstraintsValue === NOT_YET) {
      this.basicConstraintsValue = this.skeleton ? this.skeleton.basicConstraints : this.extension(OID.basicConstraints, decodeBasicConstraints);
    }
    return this.basicConstraintsValue;
  }

  get publicKey(): PublicKeyInfo {
    return (this.publicKeyInfo ??= describePublicKey(this.x509, this.fields.spki));
  }

  get selfIssued(): boolean {
    return this.subject === this.issuer;
  }

  get version(): number {
    return this.skeleton?.version ?? this.fields.version;
  }

  get issuerDer(): Buffer {
    return this.skeleton?.issuerDer ?? this.fields.issuerDer;
  }

  get subjectDer(): Buffer {
    return this.skeleton?.subjectDer ?? this.fields.subjectDer;
  }

  get subjectRdns(): string[] {
    return this.fields.subjectRdns;
  }

  get extensions(): ExtensionInfo[] {
    return this.fields.extensions;
  }

  get nameConstraints(): NameConstraints | undefined {
    return this.fields.nameConstraints;
  }

  get signatureAlgorithm(): string {
    return this.fields.signatureAlgorithm;
  }

  get signatureAlgorithmConsistent(): boolean {
    return this.fields.signatureAlgorithmConsistent;
  }
}

/** A Name for messages: quoted, or said to be empty rather than shown as "". */
export function quotedName(name: string): string {
  return name ? `"${name}"` : '(empty name)';
}

export function isCA(cert: Certificate): boolean {
  return cert.basicConstraints?.ca === true;
}

/** Colon-separated upper-case hex, the way keytool and openssl print fingerprints. */
export function formatFingerprint(hex: string): string {
  return hex.toUpperCase().match(/.{2}/g)!.join(':');
}

/**
 * "CN=a\nO=b" (node's form) → "CN=a, O=b", the order node gives (most significant first). An
 * empty Name (a subject RFC 5280 4.1.2.6 allows when the SAN is critical) is undefined in node,
 * and "" here.
 */
function oneLineName(name: string | undefined): string {
  return (name ?? '').split('\n').filter(Boolean).join(', ');
}

function describePublicKey(x509: X509Certificate, spki: { algorithmOid: string; curveOid: string | undefined }): PublicKeyInfo {
  // OpenSSL refuses some keys a certificate can still carry (explicit curve parameters); the
  // certificate is then described from its SPKI alone and the policy rules say what is wrong.
  let type = KEY_TYPES[spki.algorithmOid] ?? 'unknown';
  let details: { modulusLength?: number; namedCurve?: string } = {};
  try {
    const key = x509.publicKey;
    details = key.asymmetricKeyDetails ?? {};
    type = (key.asymmetricKeyType ?? type).toUpperCase();
  } catch {
    // described from the SPKI above
  }
  const curve = spki.curveOid === 'explicit' ? 'explicit parameters' : curveName(details.namedCurve) ?? (spki.curveOid ? CURVES[spki.curveOid]?.name ?? spki.curveOid : undefined);
  const bits =
    details.modulusLength ?? (spki.curveOid ? CURVES[spki.curveOid]?.bits : type === 'ED25519' ? 256 : type === 'ED448' ? 456 : undefined);
  return { type: type === 'RSA-PSS' ? 'RSA-PSS' : type, bits, curve, algorithmOid: spki.algorithmOid, curveOid: spki.curveOid };
}

const KEY_TYPES: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'RSA',
  '1.2.840.113549.1.1.10': 'RSA-PSS',
  '1.2.840.10045.2.1': 'EC',
  '1.2.840.10040.4.1': 'DSA',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
};

/** Named curves by OID, with the names `cert inspect` and the policy rules use. */
export const CURVES: Record<string, { name: string; bits: number }> = {
  '1.2.840.10045.3.1.1': { name: 'P-192', bits: 192 },
  '1.3.132.0.33': { name: 'P-224', bits: 224 },
  '1.2.840.10045.3.1.7': { name: 'P-256', bits: 256 },
  '1.3.132.0.34': { name: 'P-384', bits: 384 },
  '1.3.132.0.35': { name: 'P-521', bits: 521 },
  '1.3.132.0.10': { name: 'secp256k1', bits: 256 },
  '1.3.36.3.3.2.8.1.1.7': { name: 'brainpoolP256r1', bits: 256 },
  '1.3.36.3.3.2.8.1.1.11': { name: 'brainpoolP384r1', bits: 384 },
  '1.3.36.3.3.2.8.1.1.13': { name: 'brainpoolP512r1', bits: 512 },
};

function curveName(namedCurve: string | undefined): string | undefined {
  if (!namedCurve) return undefined;
  const aliases: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521', prime192v1: 'P-192', secp224r1: 'P-224' };
  return aliases[namedCurve] ?? namedCurve;
}


/** SHA-256 as hex; crypto.hash (Node 20.12+) is one call instead of a Hash object per certificate. */
function hashHex(der: Buffer): string {
  return typeof crypto.hash === 'function' ? crypto.hash('sha256', der, 'hex') : crypto.createHash('sha256').update(der).digest('hex');
}


interface RawFields {
  /** Each extension's DER value by OID, the first of each OID (a repeat is a finding of its own). */
  values: Map<string, string>;
  extensions: ExtensionInfo[];
  version: number;
  issuerDer: Buffer;
  subjectDer: Buffer;
  subjectRdns: string[];
  nameConstraints: NameConstraints | undefined;
  signatureAlgorithm: string;
  signatureAlgorithmConsistent: boolean;
  spki: { algorithmOid: string; curveOid: string | undefined };
}

/** The fields node:crypto does not expose, read from the DER with node-forge's ASN.1 decoder. */
function readRaw(der: Buffer): RawFields {
  const certificate = asn1.fromDer(forgeUtil.createBuffer(der.toString('binary')), false);
  const [tbs, outerAlgorithm] = certificate.value as Asn1[];
  const fields = (tbs?.value ?? []) as Asn1[];
  // TBSCertificate (RFC 5280 4.1): [0] version (optional), serial, signature, issuer, validity,
  // subject, subjectPublicKeyInfo, then [1] [2] [3] optional fields.
  const versionField = fields[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC && fields[0].type === 0 ? fields[0] : undefined;
  const rest = versionField ? fields.slice(1) : fields;
  const [, tbsAlgorithm, issuer, , subject, spki] = rest;
  const version = versionField ? integer((versionField.value as Asn1[])[0]) + 1 : 1;
  const wrapper = rest.find((field) => field.tagClass === asn1.Class.CONTEXT_SPECIFIC && field.type === 3);
  const list = ((wrapper?.value as Asn1[] | undefined)?.[0]?.value ?? []) as Asn1[];
  const values = new Map<string, string>();
  const extensions: ExtensionInfo[] = [];
  let nameConstraints: NameConstraints | undefined;
  for (const ext of list) {
    const parts = ext.value as Asn1[];
    const oid = asn1.derToOid(parts[0]!.value as string);
    const critical = parts.length === 3 && (parts[1]!.value as string) !== '\x00';
    const value = parts[parts.length - 1]!.value;
    extensions.push({ oid, critical, value: Buffer.from(typeof value === 'string' ? value : '', 'binary') });
    if (oid === OID.nameConstraints) nameConstraints = readNameConstraints(parts[parts.length - 1]!.value as string);
    if (typeof value === 'string' && !values.has(oid)) values.set(oid, value);
  }
  const outerOid = algorithmOid(outerAlgorithm);
  return {
    values,
    extensions,
    version,
    issuerDer: toDer(issuer),
    subjectDer: toDer(subject),
    subjectRdns: subject ? nameRdns(subject) : [],
    nameConstraints,
    signatureAlgorithm: outerOid,
    signatureAlgorithmConsistent: !!tbsAlgorithm && !!outerAlgorithm && toDer(tbsAlgorithm).equals(toDer(outerAlgorithm)),
    spki: readSpkiAlgorithm(spki),
  };
}

function toDer(node: Asn1 | undefined): Buffer {
  return node ? Buffer.from(asn1.toDer(node).getBytes(), 'binary') : Buffer.alloc(0);
}

function integer(node: Asn1 | undefined): number {
  const bytes = typeof node?.value === 'string' ? node.value : '';
  let value = 0;
  for (const char of bytes) value = value * 256 + char.charCodeAt(0);
  return value;
}

function algorithmOid(node: Asn1 | undefined): string {
  const oid = (node?.value as Asn1[] | undefined)?.[0];
  return oid && typeof oid.value === 'string' ? asn1.derToOid(oid.value) : '';
}

function readSpkiAlgorithm(spki: Asn1 | undefined): { algorithmOid: string; curveOid: string | undefined } {
  const algorithm = (spki?.value as Asn1[] | undefined)?.[0];
  const oid = algorithmOid(algorithm);
  const parameters = (algorithm?.value as Asn1[] | undefined)?.[1];
  if (oid !== '1.2.840.10045.2.1' || !parameters) return { algorithmOid: oid, curveOid: undefined };
  // ECParameters: a named curve OID, or (explicitly, RFC 5480 forbids it) the whole curve.
  const named = parameters.type === asn1.Type.OID && typeof parameters.value === 'string';
  return { algorithmOid: oid, curveOid: named ? asn1.derToOid(parameters.value as string) : 'explicit' };
}

/**
 * A Name as comparable RDNs: attribute OID and value, the value trimmed, inner spaces collapsed
 * and lower-cased (RFC 5280 7.1's comparison, close enough for constraint prefixes).
 */
function nameRdns(name: Asn1): string[] {
  return ((name.value ?? []) as Asn1[]).map((rdn) =>
    ((rdn.value ?? []) as Asn1[])
      .map((attribute) => {
        const [type, value] = attribute.value as Asn1[];
        const text = typeof value?.value === 'string' ? Buffer.from(value.value, 'binary').toString('utf8') : '';
        return `${asn1.derToOid(type!.value as string)}=${text.trim().replace(/\s+/g, ' ').toLowerCase()}`;
      })
      .sort()
      .join('+'),
  );
}

function readNameConstraints(octets: string): NameConstraints {
  const result: NameConstraints = { permitted: [], excluded: [], malformed: false };
  try {
    const sequence = asn1.fromDer(octets, true);
    for (const part of (sequence.value ?? []) as Asn1[]) {
      const target = part.type === 0 ? result.permitted : part.type === 1 ? result.excluded : undefined;
      if (!target || part.tagClass !== asn1.Class.CONTEXT_SPECIFIC) {
        result.malformed = true;
        continue;
      }
      // An empty permittedSubtrees or excludedSubtrees is invalid (RFC 5280 4.2.1.10: SIZE 1..MAX).
      if (((part.value ?? []) as Asn1[]).length === 0) result.malformed = true;
      for (const subtree of (part.value ?? []) as Asn1[]) target.push(readSubtree(((subtree.value ?? []) as Asn1[])[0]));
    }
    if (((sequence.value ?? []) as Asn1[]).length === 0) result.malformed = true;
  } catch {
    result.malformed = true;
  }
  return result;
}

function readSubtree(base: Asn1 | undefined): Subtree {
  if (!base) return { type: 'other', tag: -1 };
  const text = typeof base.value === 'string' ? base.value : '';
  switch (base.type) {
    case 2:
      return { type: 'dns', value: text };
    case 7: {
      const bytes = Buffer.from(text, 'binary');
      const half = bytes.length / 2;
      return { type: 'ip', address: bytes.subarray(0, half), mask: bytes.subarray(half) };
    }
    case 4: {
      const name = ((base.value ?? []) as Asn1[])[0];
      return { type: 'dn', rdns: name ? nameRdns(name) : [] };
    }
    default:
      return { type: 'other', tag: base.type };
  }
}

