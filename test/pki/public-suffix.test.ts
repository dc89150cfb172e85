import t from 'tap';
import { wildcardPublicSuffix } from '../../src/pki/public-suffix.js';

t.test('a wildcard over a public suffix is recognised, a wildcard under a registrable domain is not', async (t) => {
  const cases: [string, string | undefined][] = [
    // ICANN section, one and two labels.
    ['*.com', 'com'],
    ['*.co.uk', 'co.uk'],
    ['*.CO.UK.', 'co.uk'],
    // Private section: handed out to strangers like co.uk.
    ['*.s3.amazonaws.com', 's3.amazonaws.com'],
    ['*.github.io', 'github.io'],
    // A single label not on the list is a suffix by the list's default rule.
    ['*.test', 'test'],
    ['*.internal', 'internal'],
    // Under a registrable domain: an ordinary wildcard.
    ['*.example.co.uk', undefined],
    ['*.bucket.s3.amazonaws.com', undefined],
    ['*.example.test', undefined],
    ['*.cluster.internal', undefined],
    // No wildcard: an exact name, whatever it is.
    ['co.uk', undefined],
    ['s3.amazonaws.com', undefined],
  ];
  for (const [entry, suffix] of cases) t.equal(wildcardPublicSuffix(entry), suffix, entry);
});
