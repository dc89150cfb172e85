import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseCertificate } from '../../src/pki/certificate.js';
import { parsePemBlocks } from '../../src/pki/pem.js';
import { dependsOnLeavingCa, leavingCas } from '../../src/trust/rollover.js';
import { makeCa, makeLeaf } from '../support/openssl.js';

const certs = (file: string) => parsePemBlocks(readFileSync(file, 'utf8')).map((block) => parseCertificate(block.der));

t.test('a renewed CA of the same name marks the old one as leaving', async (t) => {
  const dir = t.testdir();
  const old = makeCa(dir, 'old', '/CN=Rollover CA');
  await new Promise((resolve) => setTimeout(resolve, 1100)); // a later notBefore, to the second
  const renewed = makeCa(dir, 'new', '/CN=Rollover CA');
  const other = makeCa(dir, 'other', '/CN=Another CA');
  const bundle = [...certs(old.cert), ...certs(renewed.cert), ...certs(other.cert)];

  const leaving = leavingCas(bundle);
  t.equal(leaving.size, 1);
  t.equal([...leaving.keys()][0]!.sha256, certs(old.cert)[0]!.sha256);

  const fromOld = certs(makeLeaf(dir, 'a', old, ['a.test']).cert);
  const fromNew = certs(makeLeaf(dir, 'b', renewed, ['b.test']).cert);
  const fromOther = certs(makeLeaf(dir, 'c', other, ['c.test']).cert);
  t.equal(dependsOnLeavingCa(fromOld, bundle)?.sha256, certs(old.cert)[0]!.sha256, 'a leaf of the old CA depends on it');
  t.equal(dependsOnLeavingCa(fromNew, bundle), undefined, 'a leaf of the renewed CA does not');
  t.equal(dependsOnLeavingCa(fromOther, bundle), undefined, 'an unrelated CA is not leaving');
  t.equal(leavingCas([...certs(renewed.cert)]).size, 0, 'the new CA alone: nothing leaves');
});
