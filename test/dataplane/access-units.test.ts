import { describe, expect, it } from 'vitest';
import { CidrSet, parseIpv4 } from '../../src/dataplane/cidr-set.ts';
import { rightmostUntrusted } from '../../src/dataplane/client-address.ts';
import { parseProxyHeader } from '../../src/dataplane/front/http1/proxy-protocol.ts';
import { md5Crypt, verifyPassword } from '../../src/dataplane/pipeline/filters/password-hash.ts';
import { escapeUri } from '../../src/dataplane/pipeline/filters/nginx-variables.ts';
import { signinUrl } from '../../src/dataplane/pipeline/filters/external-auth.ts';

/* Tables for the pieces the access filters are built from. */

describe('CidrSet', () => {
  const set = new CidrSet(['10.0.0.0/8', '192.168.1.7/32', '2001:db8::/32', '::1/128', '0.0.0.0/32']);
  const cases: [string, boolean][] = [
    ['10.1.2.3', true], ['11.0.0.1', false], ['192.168.1.7', true], ['192.168.1.8', false],
    ['2001:db8:1::5', true], ['2001:db9::1', false], ['::1', true], ['::2', false],
    ['::ffff:10.9.9.9', true], ['not-an-ip', false], ['', false], ['10.0.0', false], ['010.0.0.1', false],
  ];
  for (const [address, want] of cases) it(`${address || '(empty)'} → ${want}`, () => expect(set.has(address)).toBe(want));
  it('a /0 holds every address of its family', () => {
    expect(new CidrSet(['0.0.0.0/0']).has('203.0.113.1')).toBe(true);
    expect(new CidrSet(['0.0.0.0/0']).has('2001:db8::1')).toBe(false);
    expect(new CidrSet(['::/0']).has('2001:db8::1')).toBe(true);
  });
  it('parseIpv4', () => {
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4('256.0.0.1')).toBe(-1);
    expect(parseIpv4('1.2.3.4.5')).toBe(-1);
  });
});

describe('X-Forwarded-For walk (--trusted-proxies)', () => {
  const trusted = new CidrSet(['10.0.0.0/8']);
  const cases: [string, string][] = [
    ['203.0.113.7', '203.0.113.7'],
    ['203.0.113.7, 10.0.0.2', '203.0.113.7'],
    ['198.51.100.1, 203.0.113.7, 10.0.0.2', '203.0.113.7'],
    ['10.0.0.3, 10.0.0.2', '10.0.0.3'], // all trusted: the left-most
    ['garbage, 10.0.0.2', '10.0.0.2'], // stops at what is not an address
    ['[2001:db8::7]:443, 10.0.0.2', '2001:db8::7'],
    ['203.0.113.7:1234', '203.0.113.7'],
    ['', '10.0.0.1'],
  ];
  for (const [header, want] of cases) it(JSON.stringify(header), () => expect(rightmostUntrusted(header, trusted, '10.0.0.1')).toBe(want));
});

describe('PROXY protocol header', () => {
  const v2 = (command: number, family: number, body: number[]) =>
    Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x20 | command, family, 0, body.length, ...body]);
  const v4body = [203, 0, 113, 9, 10, 0, 0, 1, 0x1f, 0x90, 0x01, 0xbb];
  const v6body = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 7, ...Array(16).fill(0), 0, 1, 0, 2];
  const cases: [string, Buffer, ReturnType<typeof parseProxyHeader>][] = [
    ['v1 TCP4', Buffer.from('PROXY TCP4 203.0.113.9 10.0.0.1 5555 443\r\nGET'), { source: '203.0.113.9', destinationPort: '443', length: 42 }],
    ['v1 TCP6', Buffer.from('PROXY TCP6 2001:db8::7 2001:db8::1 5555 443\r\n'), { source: '2001:db8::7', destinationPort: '443', length: 45 }],
    ['v1 UNKNOWN', Buffer.from('PROXY UNKNOWN\r\n'), { source: undefined, length: 15 }],
    ['v1 incomplete', Buffer.from('PROXY TCP4 203.0'), 'more'],
    ['v1 garbage', Buffer.from('GET / HTTP/1.1\r\n'), 'invalid'],
    ['v1 bad address', Buffer.from('PROXY TCP4 example.com 10.0.0.1 5555 443\r\n'), 'invalid'],
    ['v2 IPv4', v2(1, 0x11, v4body), { source: '203.0.113.9', destinationPort: '443', length: 28 }],
    ['v2 IPv6', v2(1, 0x21, v6body), { source: '2001:db8:0:0:0:0:0:7', destinationPort: '2', length: 52 }],
    ['v2 LOCAL', v2(0, 0x00, []), { source: undefined, length: 16 }],
    ['v2 incomplete', v2(1, 0x11, v4body).subarray(0, 20), 'more'],
    ['v2 bad version', Buffer.from([...v2(1, 0x11, v4body)].map((b, i) => (i === 12 ? 0x11 : b))), 'invalid'],
  ];
  for (const [name, buf, want] of cases) it(name, () => expect(parseProxyHeader(buf)).toEqual(want));
});

describe('htpasswd hashes', () => {
  // Written by Apache's htpasswd 2.4 (-B, -m, -s) and OpenSSL (passwd -1) for the password "p".
  const cases: [string, string][] = [
    ['bcrypt', '$2y$05$8f71l.9fLmA870.OmkhGm.Bp8aV/0BDyWHyLMq.z34trc2GTUewZS'],
    ['apr1', '$apr1$G.O67pQP$CZcLr7dvlPR3tJ4MyR4WJ/'],
    ['MD5-crypt', '$1$abc$Y.5JwZlXvTsMEFhYjLCbq.'],
    ['SHA1', '{SHA}UWuXg/ylF+7L0dBk2i0WUxCxl1k='],
    ['plain', '{PLAIN}p'],
  ];
  for (const [name, hash] of cases) {
    it(`${name}: the right password matches, another does not`, () => {
      expect(verifyPassword(Buffer.from('p'), hash)).toBe(true);
      expect(verifyPassword(Buffer.from('q'), hash)).toBe(false);
      expect(verifyPassword(Buffer.from(''), hash)).toBe(false);
    });
  }
  it('apr1 hashes the password bytes (a non-ASCII password round-trips)', () => {
    const pw = Buffer.from('pässwörd', 'utf8');
    expect(verifyPassword(pw, md5Crypt(pw, '$apr1$abcdefgh$', '$apr1$'))).toBe(true);
    expect(verifyPassword(Buffer.from('pässwörd', 'latin1'), md5Crypt(pw, '$apr1$abcdefgh$', '$apr1$'))).toBe(false);
  });
  it('an unknown scheme never matches', () => expect(verifyPassword(Buffer.from('p'), 'p')).toBe(false));
});

describe('external auth URLs', () => {
  it('escaped request URI as set-misc set_escape_uri', () => expect(escapeUri("/a b/c?d=e&f=(g)'")).toBe('%2Fa%20b%2Fc%3Fd%3De%26f%3D%28g%29%27'));
  const cases: [string, string, string][] = [
    ['https://login.example/start', 'rd', 'https://login.example/start?rd=$pass_access_scheme://$http_host$escaped_request_uri'],
    ['https://$host/oauth2/start?rd=$escaped_request_uri', 'rd', 'https://$host/oauth2/start?rd=$escaped_request_uri'],
    ['https://login.example/start?x=1', 'next', 'https://login.example/start?x=1&next=$pass_access_scheme://$http_host$escaped_request_uri'],
  ];
  for (const [signin, param, want] of cases) it(`sign-in URL ${signin}`, () => expect(signinUrl(signin, param)).toBe(want));
});
