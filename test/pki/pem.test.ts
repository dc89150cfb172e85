import t from 'tap';
import { classify, parsePemBlocks, toPem } from '../../src/pki/pem.js';

const der = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05]);

t.test('classify', async (t) => {
  t.equal(classify(Buffer.alloc(0)).kind, 'empty');
  t.equal(classify(Buffer.from(' \n\r\n\t')).kind, 'empty');
  t.equal(classify(der).kind, 'der');
  // One byte more or less than the DER length says: not DER.
  t.equal(classify(Buffer.concat([der, Buffer.from([0])])).kind, 'unknown');
  t.equal(classify(Buffer.from('hello world')).kind, 'unknown');
  t.equal(classify(Buffer.from(toPem('CERTIFICATE', der))).kind, 'pem');
});

t.test('PEM blocks with text around them and CRLF line ends', async (t) => {
  const text = `Certificate:\n  Data: ...\n${toPem('CERTIFICATE', der)}trailing note\n${toPem('PRIVATE KEY', der)}`.replace(/\n/g, '\r\n');
  const blocks = parsePemBlocks(text);
  t.same(
    blocks.map((b) => b.label),
    ['CERTIFICATE', 'PRIVATE KEY'],
  );
  t.same(blocks[0]!.der, der);
});

t.test('legacy encryption headers are read', async (t) => {
  const pem = '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nMAMCAQU=\n-----END RSA PRIVATE KEY-----\n';
  const [block] = parsePemBlocks(pem);
  t.equal(block?.headers['Proc-Type'], '4,ENCRYPTED');
  t.same(block?.der, der);
});

t.test('mismatched BEGIN/END labels are not a block', async (t) => {
  t.same(parsePemBlocks('-----BEGIN CERTIFICATE-----\nMAMCAQU=\n-----END PRIVATE KEY-----\n'), []);
});
