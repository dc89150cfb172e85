import t from 'tap';
import { decodeBasicConstraints, decodeExtKeyUsage, decodeKeyUsage, decodeSubjectAltName } from '../../src/pki/extension-values.js';

/** DER from hex, as the "binary" string forge's codec reads. */
const der = (hex: string) => Buffer.from(hex.replace(/\s/g, ''), 'hex').toString('binary');

t.test('SubjectAltName: names by kind, addresses as text, other kinds by tag', async (t) => {
  // dNSName a.test, iPAddress 127.0.0.1, iPAddress ::1, iPAddress of 3 bytes, rfc822Name, URI, registeredID [8]
  const value = der('30 34 82 06 612e74657374 87 04 7f000001 87 10 00000000000000000000000000000001 87 03 010203 81 03 612d62 86 03 752d69 88 03 2a0304');
  t.same(decodeSubjectAltName(value), { dns: ['a.test'], ip: ['127.0.0.1', '::1'], email: ['a-b'], uri: ['u-i'], otherTags: [7, 8] });
  t.equal(decodeSubjectAltName(der('04 00')), undefined, 'not a SEQUENCE');
  t.equal(decodeSubjectAltName(der('30 05 82 06 61')), undefined, 'truncated');
});

t.test('KeyUsage: the bits set, named in RFC 5280 order', async (t) => {
  t.same(decodeKeyUsage(der('03 02 05 a0')), ['digitalSignature', 'keyEncipherment']);
  t.same(decodeKeyUsage(der('03 02 01 06')), ['keyCertSign', 'cRLSign']);
  t.same(decodeKeyUsage(der('03 03 07 80 80')), ['digitalSignature', 'decipherOnly'], 'the ninth bit, in the second byte');
  t.same(decodeKeyUsage(der('03 01 00')), [], 'no bits');
  t.equal(decodeKeyUsage(der('04 01 00')), undefined, 'not a BIT STRING');
});

t.test('ExtendedKeyUsage: the purpose OIDs in order', async (t) => {
  t.same(decodeExtKeyUsage(der('30 14 06 08 2b06010505070302 06 08 2b06010505070301')), ['1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.1']);
  t.equal(decodeExtKeyUsage(der('30')), undefined, 'truncated');
});

t.test('BasicConstraints: cA defaults to FALSE; pathLenConstraint when present', async (t) => {
  t.same(decodeBasicConstraints(der('30 06 01 01 ff 02 01 00')), { ca: true, pathLength: 0 });
  t.same(decodeBasicConstraints(der('30 03 01 01 ff')), { ca: true, pathLength: undefined });
  t.same(decodeBasicConstraints(der('30 00')), { ca: false, pathLength: undefined });
  t.equal(decodeBasicConstraints(der('31 00')), undefined, 'a SET is not the syntax');
});
