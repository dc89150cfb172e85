import t from 'tap';
import * as net from 'node:net';
import { isIP, isValidHostname, matchHostname, normaliseHost } from '../../src/pki/hostname.js';

const dns = (...names: string[]) => ({ dns: names, ip: [] as string[] });

t.test('RFC 6125 matching', async (t) => {
  const cases: [string, { dns: string[]; ip: string[] }, 'exact' | 'wildcard' | 'none'][] = [
    ['dh1.example.test', dns('dh1.example.test'), 'exact'],
    ['DH1.Example.Test', dns('dh1.example.test'), 'exact'],
    ['dh1.example.test', dns('DH1.EXAMPLE.TEST'), 'exact'],
    ['dh1.example.test.', dns('dh1.example.test'), 'exact'],
    ['dh1.example.test', dns('other.example.test'), 'none'],
    ['dh1.example.test', dns('*.example.test'), 'wildcard'],
    // A wildcard stands for exactly one label.
    ['a.dh1.example.test', dns('*.example.test'), 'none'],
    ['example.test', dns('*.example.test'), 'none'],
    // Only a whole left-most label may be a wildcard.
    ['dh1.example.test', dns('dh*.example.test'), 'none'],
    ['dh1.example.test', dns('dh1.*.test'), 'none'],
    // Never a wildcard over a single remaining label.
    ['example.test', dns('*.test'), 'none'],
    ['dh1.example.test', dns('other.example.test', 'dh1.example.test'), 'exact'],
    ['127.0.0.1', { dns: ['127.0.0.1'], ip: [] }, 'none'],
    ['127.0.0.1', { dns: [], ip: ['127.0.0.1'] }, 'exact'],
    ['::1', { dns: [], ip: ['0:0:0:0:0:0:0:1'] }, 'exact'],
    ['dh1.example.test', { dns: [], ip: ['127.0.0.1'] }, 'none'],
    // A Unicode name matches its punycode A-labels, as Java's HostnameChecker sees it.
    ['bücher.example.test', dns('xn--bcher-kva.example.test'), 'exact'],
    ['BÜCHER.example.test', dns('xn--bcher-kva.example.test'), 'exact'],
    ['dh1.bücher.example.test', dns('*.xn--bcher-kva.example.test'), 'wildcard'],
    ['bucher.example.test', dns('xn--bcher-kva.example.test'), 'none'],
  ];
  for (const [host, san, expected] of cases) {
    const match = matchHostname(host, san);
    const got = !match.matched ? 'none' : match.wildcard ? 'wildcard' : 'exact';
    t.equal(got, expected, `${host} against ${[...san.dns, ...san.ip].join(',')}`);
  }
});

t.test('hostname validation', async (t) => {
  for (const good of ['dh1.example.test', 'localhost', 'a-b.c', 'x.y.', '10.0.0.1', '::1', `${'a'.repeat(63)}.test`, 'é.test', 'bücher.example.test']) {
    t.ok(isValidHostname(good), good);
  }
  for (const bad of ['', '-a.test', 'a-.test', 'a..test', 'a_b.test', '*.example.test', 'a b', `${'a'.repeat(64)}.test`]) {
    t.notOk(isValidHostname(bad), JSON.stringify(bad));
  }
});

t.test('Unicode names become A-labels', async (t) => {
  t.equal(normaliseHost('bücher.example.test'), 'xn--bcher-kva.example.test');
  t.equal(normaliseHost('Bücher.Example.Test.'), 'xn--bcher-kva.example.test');
  t.equal(normaliseHost('dh1.example.test'), 'dh1.example.test');
});

t.test('isIP answers as net.isIP does, asking about IPv6 only for text with a colon', async (t) => {
  const samples = ['10.0.0.1', '255.255.255.255', '256.0.0.1', '1.2.3', '::', '::1', '::ffff:10.0.0.1', 'fe80::1%eth0', '2001:db8::1', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', ':1', 'dh1.example.test', 'localhost', '', ' 10.0.0.1', 'a:b'];
  for (const text of samples) t.equal(isIP(text), net.isIP(text), JSON.stringify(text));
});
