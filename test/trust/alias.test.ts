import t from 'tap';
import { aliasFor } from '../../src/trust/pool.js';
import type { Certificate } from '../../src/pki/certificate.js';

/** Aliases as the two regular expressions made them before the loop replaced them. */
function reference(name: string, sha256: string): string {
  const label = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48);
  return `${label || 'ca'}-${sha256.slice(0, 8)}`;
}

t.test('aliases: runs of other characters become one hyphen, none at either end', async (t) => {
  const sha256 = '0123456789abcdef'.repeat(4);
  const names = ['ISRG Root X1', '  --Foo  Bar--', 'a__b..c', '!!!', 'ℌello Wörld', 'Ünïcödé CA 2', 'x'.repeat(60), `${'a'.repeat(47)} b`, 'Entrust.net Certification Authority (2048)'];
  for (const name of names) {
    const cert = { subject: `C=US, CN=${name}`, sha256 } as unknown as Certificate;
    t.equal(aliasFor(cert), reference(name, sha256), JSON.stringify(name));
  }
});
