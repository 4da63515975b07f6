import { afterEach, describe, expect, it } from 'vitest';
import {
  acceptUnderscoredHeaders, downstreamResponseHeaders, emptyFacts, hideResponseHeaders, namesNoHeader, offersH2c, RESPONSE_CONNECTION, RESPONSE_COPY, RESPONSE_DROP, responseHeaderFate, scanRequestHeaders, upstreamRequestHeaders, type RequestHeaderFacts,
  type ForwardedFor,
} from '../../src/dataplane/forward-headers.ts';
import { CidrSet } from '../../src/dataplane/cidr-set.ts';
import { setForwardedForHeader } from '../../src/dataplane/client-address.ts';

const fwd = { clientAddress: '192.0.2.7', proto: 'http', port: '8080' };

function upstreamNames(raw: string[], authority?: string): string[] {
  const facts: RequestHeaderFacts = emptyFacts();
  scanRequestHeaders(raw, facts);
  if (authority !== undefined) facts.host = authority;
  return upstreamRequestHeaders(raw, facts, fwd).filter((_, i) => i % 2 === 0);
}

function upstream(raw: string[], authority?: string): Record<string, string> {
  const facts: RequestHeaderFacts = emptyFacts();
  scanRequestHeaders(raw, facts);
  if (authority !== undefined) facts.host = authority;
  const out = upstreamRequestHeaders(raw, facts, fwd);
  const map: Record<string, string> = {};
  for (let i = 0; i < out.length; i += 2) {
    const k = out[i]!.toLowerCase();
    map[k] = map[k] === undefined ? out[i + 1]! : `${map[k]} | ${out[i + 1]}`;
  }
  return map;
}

describe('upstreamRequestHeaders', () => {
  const cases: { name: string; raw: string[]; authority?: string; want: Record<string, string | undefined>; order?: string[] }[] = [
    {
      name: 'sets the forwarding headers from the connection',
      raw: ['Host', 'foo.com:8080', 'Accept', '*/*'],
      want: {
        host: 'foo.com:8080', accept: '*/*', 'x-forwarded-for': '192.0.2.7', 'x-real-ip': '192.0.2.7', 'x-forwarded-proto': 'http', 'x-forwarded-scheme': 'http', 'x-scheme': 'http',
        'x-forwarded-port': '8080', 'x-forwarded-host': 'foo.com:8080', 'x-original-forwarded-for': undefined, 'x-original-forwarded-host': undefined,
      },
    },
    {
      name: 'X-Forwarded-For is the client alone (ingress-nginx $remote_addr); every incoming one, in order, becomes X-Original-Forwarded-For',
      raw: ['Host', 'a', 'X-Forwarded-For', '10.0.0.1', 'x-forwarded-for', '10.0.0.2, 10.0.0.3'],
      want: { 'x-forwarded-for': '192.0.2.7', 'x-original-forwarded-for': '10.0.0.1, 10.0.0.2, 10.0.0.3', 'x-original-forwarded-host': undefined },
    },
    {
      name: 'replaces spoofed X-Real-IP / X-Forwarded-Proto / -Scheme / -Host / -Port / X-Scheme / X-Original-*; the client\'s X-Forwarded-Host becomes X-Original-Forwarded-Host',
      raw: ['Host', 'a', 'X-Real-IP', '1.1.1.1', 'X-Forwarded-Proto', 'https', 'X-FORWARDED-HOST', 'evil', 'X-Forwarded-Port', '1', 'X-Scheme', 'https', 'X-Forwarded-Scheme', 'https', 'X-Original-Forwarded-For', '6.6.6.6', 'X-Original-Forwarded-Host', 'evil2'],
      want: {
        'x-real-ip': '192.0.2.7', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'a', 'x-forwarded-port': '8080', 'x-scheme': 'http', 'x-forwarded-scheme': 'http',
        'x-original-forwarded-for': undefined, 'x-original-forwarded-host': 'evil',
      },
    },
    {
      name: 'drops headers named with an underscore (nginx underscores_in_headers off: X_Real_IP is X-Real-IP to a CGI-style backend)',
      raw: ['Host', 'a', 'X_Real_IP', '6.6.6.6', 'x_custom', 'v', 'X-Custom', 'kept'],
      want: { x_real_ip: undefined, x_custom: undefined, 'x-custom': 'kept', 'x-real-ip': '192.0.2.7' },
    },
    {
      name: 'drops Proxy (httpoxy: ingress-nginx sets it empty)',
      raw: ['Host', 'a', 'Proxy', 'http://evil:3128', 'PROXY', 'x', 'Proxy-Foo', 'kept'],
      want: { proxy: undefined, 'proxy-foo': 'kept' },
    },
    {
      name: 'drops hop-by-hop headers and the ones Connection names',
      raw: ['Host', 'a', 'Connection', 'keep-alive, X-Secret, x-other', 'X-Secret', 's', 'X-Other', 'o', 'Keep-Alive', '5', 'TE', 'trailers', 'Trailer', 'x', 'Transfer-Encoding', 'chunked', 'Upgrade', 'h2c', 'Proxy-Connection', 'x', 'Proxy-Authorization', 'x', 'Proxy-Authenticate', 'x', 'Expect', '100-continue', 'HTTP2-Settings', 'x', 'X-Kept', 'k'],
      want: { connection: undefined, 'x-secret': undefined, 'x-other': undefined, 'keep-alive': undefined, te: undefined, trailer: undefined, 'transfer-encoding': undefined, upgrade: undefined, 'proxy-connection': undefined, 'proxy-authorization': undefined, 'proxy-authenticate': undefined, expect: undefined, 'http2-settings': undefined, 'x-kept': 'k' },
    },
    {
      name: 'keeps one Host (a second one is refused by the connection: scan says 400) and repeated end-to-end headers',
      raw: ['Host', 'a', 'Host', 'b', 'Cookie', 'x=1', 'Cookie', 'y=2'],
      want: { host: 'a', cookie: 'x=1 | y=2' },
    },
    {
      name: 'forwards the effective authority as Host (absolute-form replaced the client\'s), where the client\'s Host was',
      raw: ['Accept', '*/*', 'Host', 'client.example'],
      authority: 'target.example:8080',
      want: { host: 'target.example:8080', 'x-forwarded-host': 'target.example:8080' },
      order: ['Accept', 'Host'],
    },
    {
      name: 'adds Host first when the client sent none (absolute-form without Host)',
      raw: ['Accept', '*/*'],
      authority: 'target.example',
      want: { host: 'target.example', 'x-forwarded-host': 'target.example' },
      order: ['host', 'Accept'],
    },
    {
      name: 'without Host sets no X-Forwarded-Host',
      raw: ['Accept', '*/*'],
      want: { host: undefined, 'x-forwarded-host': undefined },
    },
  ];
  it.each(cases)('$name', ({ raw, authority, want, order }) => {
    const got = upstream(raw, authority);
    for (const [k, v] of Object.entries(want)) expect(got[k], k).toBe(v);
    if (order !== undefined) expect(upstreamNames(raw, authority).slice(0, order.length)).toEqual(order);
  });

  it.each([
    { raw: ['Host', 'foo.com'], status: 0 },
    { raw: ['Host', 'foo.com:8080'], status: 0 },
    { raw: ['Host', '[::1]:8080'], status: 0 },
    { raw: ['Host', ''], status: 0 },
    { raw: ['Host', 'a', 'host', 'a'], status: 400 },
    { raw: ['Host', 'a', 'Host', 'b'], status: 400 },
    { raw: ['Host', 'foo.com/admin'], status: 400 },
    { raw: ['Host', 'user@foo.com'], status: 400 },
    { raw: ['Host', 'foo.com:80x'], status: 400 },
    { raw: ['Host', 'foo .com'], status: 400 },
    { raw: ['Host', 'foo.com\\x'], status: 400 },
    { raw: ['Host', 'a', 'Transfer-Encoding', 'chunked'], status: 0 },
    { raw: ['Host', 'a', 'Transfer-Encoding', 'Chunked'], status: 0 },
    { raw: ['Host', 'a', 'Transfer-Encoding', 'gzip, chunked'], status: 501 },
    { raw: ['Host', 'a', 'Transfer-Encoding', 'gzip', 'Transfer-Encoding', 'chunked'], status: 501 },
    { raw: ['Host', 'a', 'Transfer-Encoding', 'identity, chunked'], status: 501 },
    { raw: ['Host', 'a', 'Transfer-Encoding', 'gzip'], status: 400 },
    { raw: ['Host', 'a', 'Transfer-Encoding', 'chunked', 'Transfer-Encoding', 'gzip'], status: 400 },
    { raw: ['Host', 'a', 'Transfer-Encoding', 'chunked, chunked'], status: 400 },
    { raw: ['Host', 'a', 'Transfer-Encoding', 'chunked,'], status: 0 },
  ])('scan $raw → $status', ({ raw, status }) => {
    expect(scanRequestHeaders(raw, emptyFacts())).toBe(status);
  });

  it.each([
    ['h2c', true], ['H2C', true], ['websocket, h2c', true], ['websocket', false], ['h2', false], ['h2c-x', false],
  ] as const)('offersH2c(%j) → %s', (value, want) => {
    expect(offersH2c(value)).toBe(want);
  });

  it.each([
    [['Content-Length', '0'], false],
    [['Content-Length', '12'], true],
    [['Transfer-Encoding', 'chunked'], true],
    [['Accept', 'x'], false],
  ] as const)('scan %j → hasBody %s', (raw, want) => {
    const facts: RequestHeaderFacts = emptyFacts();
    scanRequestHeaders([...raw], facts);
    expect(facts.hasBody).toBe(want);
  });
});

describe('--enable-underscores-in-headers', () => {
  afterEach(() => acceptUnderscoredHeaders(false));
  it('forwards headers named with an underscore', () => {
    acceptUnderscoredHeaders(true);
    expect(upstream(['Host', 'a', 'X_Custom', 'v'])['x_custom']).toBe('v');
  });
});

describe('upstreamRequestHeaders from a trusted proxy (--trusted-proxies: ingress-nginx use-forwarded-headers)', () => {
  const lb = { clientAddress: '10.0.0.9', proto: 'http', port: '8080', trustedProxies: new CidrSet(['10.0.0.0/8']) };
  function sent(raw: string[], conn: ForwardedFor = lb): Record<string, string> {
    const facts: RequestHeaderFacts = emptyFacts();
    scanRequestHeaders(raw, facts);
    const out = upstreamRequestHeaders(raw, facts, conn);
    const map: Record<string, string> = {};
    for (let i = 0; i < out.length; i += 2) {
      const k = out[i]!.toLowerCase();
      expect(map[k], `one ${k} line`).toBeUndefined();
      map[k] = out[i + 1]!;
    }
    return map;
  }

  it('passes the proxy\'s X-Forwarded-Proto / -Port, takes its first X-Forwarded-Host as Host too, and X-Real-IP is the client it names', () => {
    const got = sent(['Host', 'internal.svc', 'X-Forwarded-For', '203.0.113.7, 10.1.2.3', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Port', '443', 'X-Forwarded-Host', 'shop.example, cdn.example', 'X-Real-IP', '1.1.1.1']);
    expect(got).toMatchObject({
      host: 'shop.example', 'x-forwarded-host': 'shop.example', 'x-forwarded-proto': 'https', 'x-forwarded-scheme': 'https', 'x-scheme': 'https', 'x-forwarded-port': '443',
      'x-real-ip': '203.0.113.7', 'x-forwarded-for': '203.0.113.7, 10.1.2.3, 10.0.0.9',
      'x-original-forwarded-for': '203.0.113.7, 10.1.2.3', 'x-original-forwarded-host': 'shop.example, cdn.example',
    });
  });

  it('--forwarded-for-header CF-Connecting-IP: X-Real-IP is the client that header names; X-Forwarded-For stays the proxy\'s list plus the proxy', () => {
    setForwardedForHeader('CF-Connecting-IP');
    try {
      const got = sent(['Host', 'a.example', 'X-Forwarded-For', '10.1.2.3', 'cf-connecting-ip', '203.0.113.50']);
      expect(got).toMatchObject({ 'x-real-ip': '203.0.113.50', 'x-forwarded-for': '10.1.2.3, 10.0.0.9' });
      expect(sent(['Host', 'a.example', 'X-Forwarded-For', '203.0.113.7'])['x-real-ip']).toBe('10.0.0.9');
    } finally {
      setForwardedForHeader('X-Forwarded-For');
    }
  });

  it('without those headers: the connection\'s values, as for anyone', () => {
    expect(sent(['Host', 'a.example'])).toMatchObject({ host: 'a.example', 'x-forwarded-host': 'a.example', 'x-forwarded-proto': 'http', 'x-forwarded-port': '8080', 'x-real-ip': '10.0.0.9' });
  });

  it('an X-Forwarded-Host that is not host[:port] is not taken (it would become Host)', () => {
    expect(sent(['Host', 'a.example', 'X-Forwarded-Host', 'evil/path'])).toMatchObject({ host: 'a.example', 'x-forwarded-host': 'a.example' });
  });

  it('a PROXY header\'s port (--proxy-protocol): X-Forwarded-Port, and 443 is https (over a trusted proxy\'s X-Forwarded-Proto too)', () => {
    const viaBalancer = (port: string, trusted?: CidrSet) => ({ clientAddress: '203.0.113.7', proto: 'http', port: '8080', proxyDestinationPort: port, ...(trusted === undefined ? {} : { trustedProxies: trusted }) });
    expect(sent(['Host', 'a.example', 'X-Forwarded-Proto', 'https', 'X-Forwarded-For', '1.2.3.4'], viaBalancer('443'))).toMatchObject({
      'x-forwarded-proto': 'https', 'x-forwarded-scheme': 'https', 'x-scheme': 'https', 'x-forwarded-port': '443', 'x-real-ip': '203.0.113.7',
      'x-forwarded-for': '203.0.113.7', 'x-original-forwarded-for': '1.2.3.4',
    });
    expect(sent(['Host', 'a.example', 'X-Forwarded-Proto', 'https'], viaBalancer('80'))).toMatchObject({ 'x-forwarded-proto': 'http', 'x-forwarded-port': '80' });
    expect(sent(['Host', 'a.example', 'X-Forwarded-Proto', 'http'], viaBalancer('443', lb.trustedProxies))).toMatchObject({ 'x-forwarded-proto': 'https' });
  });

  it('the same headers from a connection that is not trusted are replaced', () => {
    const got = sent(['Host', 'a.example', 'X-Forwarded-For', '203.0.113.7', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Port', '443', 'X-Forwarded-Host', 'b.example'], { clientAddress: '198.51.100.4', proto: 'http', port: '8080' });
    expect(got).toMatchObject({
      host: 'a.example', 'x-forwarded-host': 'a.example', 'x-forwarded-proto': 'http', 'x-scheme': 'http', 'x-forwarded-port': '8080', 'x-real-ip': '198.51.100.4',
      'x-forwarded-for': '198.51.100.4', 'x-original-forwarded-for': '203.0.113.7', 'x-original-forwarded-host': 'b.example',
    });
  });
});

describe('downstreamResponseHeaders', () => {
  const b = (...xs: string[]) => xs.map((x) => Buffer.from(x, 'latin1'));
  afterEach(() => hideResponseHeaders(false, []));
  it('keeps end-to-end headers, drops hop-by-hop ones and those nginx hides by default (Server, X-Pad, X-Accel-*)', () => {
    const out = downstreamResponseHeaders(b('Server', 'backend/1', 'Connection', 'X-Hop', 'X-Hop', '1', 'Keep-Alive', 'timeout=5', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=1', 'X-Pad', 'p', 'X-Accel-Redirect', '/internal', 'X-Accel', 'kept', 'Set-Cookie', 'b=2', 'Content-Length', '3'), false);
    expect(out).toEqual(['Set-Cookie', 'a=1', 'X-Accel', 'kept', 'Set-Cookie', 'b=2', 'Content-Length', '3']);
  });
  it('--allow-backend-server-header passes Server; --hide-headers hides more, any case', () => {
    hideResponseHeaders(true, ['X-Powered-By', 'x-aspnet-version']);
    const out = downstreamResponseHeaders(b('Server', 'backend/1', 'x-powered-by', 'PHP/8.2', 'X-AspNet-Version', '4', 'X-Kept', 'k'), false);
    expect(out).toEqual(['Server', 'backend/1', 'X-Kept', 'k']);
    expect([responseHeaderFate('X-Powered-By'), responseHeaderFate('Server')]).toEqual([RESPONSE_DROP, RESPONSE_COPY]);
  });
  it('adds Connection: close when asked', () => {
    expect(downstreamResponseHeaders(b('A', '1'), true)).toEqual(['A', '1', 'connection', 'close']);
  });
});

describe('responseHeaderFate (the one-pass filter ProxyResponse.writeUpstreamHead uses)', () => {
  const names = [
    'Server', 'Date', 'Content-Type', 'content-length', 'Set-Cookie', 'Host', 'X-Forwarded-For', 'X-Real-IP', 'ETag',
    'Connection', 'CONNECTION', 'Keep-Alive', 'Transfer-Encoding', 'TE', 'Trailer', 'Upgrade', 'Proxy-Connection',
    'Proxy-Authenticate', 'Proxy-Authorization', 'Expect', 'HTTP2-Settings', 'Proxy', 'X-Scheme', 'X-Forwarded-Scheme', 'X-Forwarded-Host',
    'X-Original-Forwarded-For', 'X-Original-Forwarded-Host', 'X-Pad', 'X-Accel-Expires', 'X-Accel', 'Server-Timing',
  ];
  it.each(names)('%s: the same verdict as downstreamResponseHeaders', (name) => {
    const kept = downstreamResponseHeaders([name, 'v'], false).length > 0;
    const fate = responseHeaderFate(name);
    expect(fate === RESPONSE_COPY).toBe(kept);
    expect([RESPONSE_COPY, RESPONSE_DROP, RESPONSE_CONNECTION]).toContain(fate);
    expect(fate === RESPONSE_CONNECTION).toBe(name.toLowerCase() === 'connection');
  });
  it.each([
    ['keep-alive', true], ['Keep-Alive', true], ['close', true], ['CLOSE', true], ['x-hop', false], ['keep-alive, x-hop', false], ['close, keep-alive', true],
  ] as const)('Connection: %s names no other header: %s', (value, none) => {
    expect(namesNoHeader(value)).toBe(none);
  });
});
