import { asn1, fromDer, type Asn1 } from './asn1-codec.js';

/**
 * Whether an extension's value parses as the ASN.1 syntax RFC 5280 gives it. A value that does
 * not is a malformed certificate: clients that parse it refuse the certificate, clients that
 * skip it (Java does, for a non-critical extension) silently lose what it says. Only the
 * extensions RFC 5280 defines are judged; nameConstraints has its own reader
 * (name-constraints.ts), and private extensions are nobody's syntax to check.
 */

interface Syntax {
  name: string;
  /** The ASN.1 type and the RFC 5280 section that defines it. */
  type: string;
  section: string;
  valid: (node: Asn1) => boolean;
}

const { Class, Type } = asn1;

const isUniversal = (node: Asn1 | undefined, type: number) => node?.tagClass === Class.UNIVERSAL && node.type === type;
const children = (node: Asn1 | undefined): Asn1[] => (node?.constructed && Array.isArray(node.value) ? node.value : []);
const isSequence = (node: Asn1 | undefined) => isUniversal(node, Type.SEQUENCE) && node!.constructed;
const isOid = (node: Asn1 | undefined) => isUniversal(node, Type.OID) && !node!.constructed;
const isInteger = (node: Asn1 | undefined) => isUniversal(node, Type.INTEGER) && !node!.constructed;

/** SEQUENCE SIZE (1..MAX) OF item. */
const sequenceOf = (node: Asn1, item: (child: Asn1) => boolean) => isSequence(node) && children(node).length > 0 && children(node).every(item);

/**
 * A SEQUENCE of optional context-tagged fields: the tags it may hold, each at most once, in
 * increasing order; `constructed` lists the tags that are constructed (IMPLICIT SEQUENCE or
 * EXPLICIT CHOICE).
 */
const taggedFields = (node: Asn1, tags: number[], constructed: number[] = []) => {
  if (!isSequence(node)) return false;
  let last = -1;
  return children(node).every((child) => {
    const ok = child.tagClass === Class.CONTEXT_SPECIFIC && tags.includes(child.type) && child.type > last && child.constructed === constructed.includes(child.type);
    last = child.type;
    return ok;
  });
};

/** GeneralName (4.2.1.6): one of the nine context tags; otherName, x400Address, directoryName and ediPartyName are constructed. */
const isGeneralName = (node: Asn1) => node.tagClass === Class.CONTEXT_SPECIFIC && node.type >= 0 && node.type <= 8 && node.constructed === [0, 3, 4, 5].includes(node.type);
const isGeneralNames = (node: Asn1) => sequenceOf(node, isGeneralName);

/** AccessDescription (4.2.2.1): SEQUENCE { accessMethod OID, accessLocation GeneralName }. */
const isAccessDescriptions = (node: Asn1) =>
  sequenceOf(node, (description) => {
    const [method, location, ...extra] = children(description);
    return isSequence(description) && isOid(method) && !!location && isGeneralName(location) && extra.length === 0;
  });

/** DistributionPoint (4.2.1.13): SEQUENCE { [0] name, [1] reasons, [2] cRLIssuer }, all optional. */
const isDistributionPoints = (node: Asn1) => sequenceOf(node, (point) => taggedFields(point, [0, 1, 2], [0, 2]));

const SYNTAXES: Record<string, Syntax> = {
  '2.5.29.35': {
    name: 'authorityKeyIdentifier',
    type: 'AuthorityKeyIdentifier',
    section: '4.2.1.1',
    valid: (node) => taggedFields(node, [0, 1, 2], [1]),
  },
  '2.5.29.14': { name: 'subjectKeyIdentifier', type: 'an OCTET STRING', section: '4.2.1.2', valid: (node) => isUniversal(node, Type.OCTETSTRING) },
  '2.5.29.15': { name: 'keyUsage', type: 'a BIT STRING', section: '4.2.1.3', valid: (node) => isUniversal(node, Type.BITSTRING) && !node.constructed },
  '2.5.29.32': {
    name: 'certificatePolicies',
    type: 'a non-empty SEQUENCE OF PolicyInformation',
    section: '4.2.1.4',
    valid: (node) =>
      sequenceOf(node, (policy) => {
        const [identifier, qualifiers, ...extra] = children(policy);
        const qualifiersOk = qualifiers === undefined || sequenceOf(qualifiers, (qualifier) => isSequence(qualifier) && isOid(children(qualifier)[0]));
        return isSequence(policy) && isOid(identifier) && qualifiersOk && extra.length === 0;
      }),
  },
  '2.5.29.33': {
    name: 'policyMappings',
    type: 'a non-empty SEQUENCE OF (OID, OID)',
    section: '4.2.1.5',
    valid: (node) => sequenceOf(node, (mapping) => isSequence(mapping) && children(mapping).length === 2 && children(mapping).every(isOid)),
  },
  '2.5.29.17': { name: 'subjectAltName', type: 'GeneralNames, a non-empty SEQUENCE OF GeneralName', section: '4.2.1.6', valid: isGeneralNames },
  '2.5.29.18': { name: 'issuerAltName', type: 'GeneralNames, a non-empty SEQUENCE OF GeneralName', section: '4.2.1.7', valid: isGeneralNames },
  '2.5.29.9': {
    name: 'subjectDirectoryAttributes',
    type: 'a non-empty SEQUENCE OF Attribute',
    section: '4.2.1.8',
    valid: (node) => sequenceOf(node, (attribute) => isSequence(attribute) && isOid(children(attribute)[0]) && isUniversal(children(attribute)[1], Type.SET)),
  },
  '2.5.29.19': {
    name: 'basicConstraints',
    type: 'SEQUENCE { cA BOOLEAN, pathLenConstraint INTEGER }, both optional',
    section: '4.2.1.9',
    valid: (node) => {
      if (!isSequence(node)) return false;
      const fields = [...children(node)];
      if (isUniversal(fields[0], Type.BOOLEAN)) fields.shift();
      if (isInteger(fields[0])) fields.shift();
      return fields.length === 0;
    },
  },
  '2.5.29.36': {
    name: 'policyConstraints',
    type: 'a non-empty SEQUENCE { [0] requireExplicitPolicy, [1] inhibitPolicyMapping }',
    section: '4.2.1.11',
    valid: (node) => taggedFields(node, [0, 1]) && children(node).length > 0,
  },
  '2.5.29.37': { name: 'extKeyUsage', type: 'a non-empty SEQUENCE OF OID', section: '4.2.1.12', valid: (node) => sequenceOf(node, isOid) },
  '2.5.29.31': { name: 'cRLDistributionPoints', type: 'a non-empty SEQUENCE OF DistributionPoint', section: '4.2.1.13', valid: isDistributionPoints },
  '2.5.29.54': { name: 'inhibitAnyPolicy', type: 'an INTEGER', section: '4.2.1.14', valid: isInteger },
  '2.5.29.46': { name: 'freshestCRL', type: 'a non-empty SEQUENCE OF DistributionPoint', section: '4.2.1.15', valid: isDistributionPoints },
  '1.3.6.1.5.5.7.1.1': { name: 'authorityInfoAccess', type: 'a non-empty SEQUENCE OF AccessDescription', section: '4.2.2.1', valid: isAccessDescriptions },
  '1.3.6.1.5.5.7.1.11': { name: 'subjectInfoAccess', type: 'a non-empty SEQUENCE OF AccessDescription', section: '4.2.2.2', valid: isAccessDescriptions },
};


export interface SyntaxProblem {
  name: string;
  type: string;
  section: string;
}

/** What is wrong with an extension's value, or undefined when it is well-formed (or not RFC 5280's). */
export function extensionSyntaxProblem(oid: string, value: Buffer): SyntaxProblem | undefined {
  const syntax = SYNTAXES[oid];
  if (!syntax) return undefined;
  let node: Asn1;
  try {
    // Every byte must belong to the one value; BIT STRING contents are not guessed at as ASN.1.
    node = fromDer(value.toString('binary'), { strict: true, parseAllBytes: true, decodeBitStrings: false });
  } catch {
    return { name: syntax.name, type: syntax.type, section: syntax.section };
  }
  return syntax.valid(node) ? undefined : { name: syntax.name, type: syntax.type, section: syntax.section };
}
