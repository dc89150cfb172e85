import t from 'tap';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { encodeKeystore, encodeTruststore } from '../../src/trust/pkcs12.js';
import { makeCa, makeLeaf } from '../support/openssl.js';
import { tool } from '../support/tools.js';

/**
 * Salts never come from the password: a salt derived from it would let anyone holding the file
 * test a password guess with one hash instead of the 10,000 KDF iterations.
 */

const { asn1 } = forge;
const children = (node: forge.asn1.Asn1) => node.value as forge.asn1.Asn1[];
const bytesOf = (node: forge.asn1.Asn1) => Buffer.from(node.value as string, 'binary');

/** PFX ::= SEQUENCE { version, authSafe, macData SEQUENCE { mac, macSalt, iterations } } */
function macSalt(p12: Buffer): Buffer {
  const pfx = asn1.fromDer(p12.toString('binary'));
  return bytesOf(children(children(pfx)[2]!)[1]!);
}

/** The PBES2 salt and IV of the (only) shrouded key bag of a keystore we wrote. */
function keyBagSaltAndIv(p12: Buffer): { salt: Buffer; iv: Buffer } {
  const pfx = asn1.fromDer(p12.toString('binary'));
  const authSafe = asn1.fromDer(children(children(children(pfx)[1]!)[1]!)[0]!.value as string);
  const keyInfo = children(authSafe)[1]!;
  const bags = asn1.fromDer(children(children(keyInfo)[1]!)[0]!.value as string);
  const encryptedPrivateKeyInfo = children(children(children(bags)[0]!)[1]!)[0]!;
  const pbes2Params = children(children(encryptedPrivateKeyInfo)[0]!)[1]!;
  const [kdf, cipher] = children(pbes2Params);
  return { salt: bytesOf(children(children(kdf!)[1]!)[0]!), iv: bytesOf(children(cipher!)[1]!) };
}

t.test('truststore: the MAC salt comes from the contents, never from the password', async (t) => {
  const dir = t.testdir();
  const ders = ['ca1', 'ca2'].map((name) => ({ alias: name, der: new X509Certificate(readFileSync(makeCa(dir, name).cert)).raw }));
  const withChangeit = encodeTruststore(ders, 'changeit');
  const withOther = encodeTruststore(ders, 'another password');
  t.same(macSalt(withOther), macSalt(withChangeit), 'only the password changed: the salt did not');
  t.equal(macSalt(withChangeit).length, 16);
  t.same(encodeTruststore(ders, 'changeit'), withChangeit, 'the same input gives the same bytes');
  t.notSame(macSalt(encodeTruststore(ders.slice(0, 1), 'changeit')), macSalt(withChangeit), 'other contents, another salt');
  t.notSame(macSalt(encodeTruststore([{ ...ders[0]!, alias: 'renamed' }, ders[1]!], 'changeit')), macSalt(withChangeit), 'an alias is contents too');

  for (const [password, bytes] of [['changeit', withChangeit], ['another password', withOther]] as const) {
    const file = join(dir, `${password.replace(/\W/g, '-')}.p12`);
    writeFileSync(file, bytes);
    const list = await tool('keytool', ['-list', '-storetype', 'PKCS12', '-keystore', file, '-storepass', password]);
    t.equal(list.code, 0, `keytool reads it: ${list.stderr}`);
    t.match(list.stdout, 'Your keystore contains 2 entries');
    const info = await tool('openssl', ['pkcs12', '-info', '-noout', '-in', file, '-passin', `pass:${password}`]);
    t.equal(info.code, 0, `OpenSSL 3 reads it without -legacy: ${info.stderr}`);
  }
});

t.test('keystore: MAC salt, PBES2 salt and IV are random, whatever the password', async (t) => {
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca');
  const leaf = makeLeaf(dir, 'leaf', ca, ['dh1.example.test']);
  const entry = { alias: 'dh1', key: createPrivateKey(readFileSync(leaf.key)), chain: [new X509Certificate(readFileSync(leaf.cert)).raw] };
  const first = await encodeKeystore(entry, 'same password');
  const second = await encodeKeystore(entry, 'same password');
  t.notSame(macSalt(first), macSalt(second), 'MAC salt');
  t.notSame(keyBagSaltAndIv(first).salt, keyBagSaltAndIv(second).salt, 'PBES2 salt');
  t.notSame(keyBagSaltAndIv(first).iv, keyBagSaltAndIv(second).iv, 'AES IV');
  t.equal(keyBagSaltAndIv(first).salt.length, 16);
});
