import { STATUS_CODES } from 'node:http';
import { CidrSet } from './cidr-set.ts';
import { clientAddressOf } from './client-address.ts';
import type { DownstreamRequest, DownstreamResponse } from './front/downstream.ts';
import type { AnswerScope } from './pipeline/admission.ts';

/**
 * `--block-cidrs` (ingress-nginx's ConfigMap block-cidrs, nginx `deny` at http level): whether a
 * request's client address (clientAddressOf: socket, PROXY protocol, or a trusted proxy's
 * X-Forwarded-For) is blocked. Undefined without CIDRs, so that a request pays one branch. As
 * the ip-access filter, the last verdict is kept with its address (a keepalive connection asks
 * about one address again and again).
 */
export function blockedClients(cidrs: readonly string[] | undefined): ((req: DownstreamRequest) => boolean) | undefined {
  if (cidrs === undefined || cidrs.length === 0) return undefined;
  const set = new CidrSet(cidrs);
  let lastAddress: string | undefined;
  let lastBlocked = false;
  return (req) => {
    const address = clientAddressOf(req);
    if (address !== lastAddress) {
      lastBlocked = set.has(address);
      lastAddress = address;
    }
    return lastBlocked;
  };
}

const FORBIDDEN = Buffer.from(`403 ${STATUS_CODES[403]}\n`, 'latin1');

/** The 403 a blocked client gets (the ip-access filter's answer), matched route or not;
 * `scope` carries `--add-headers` when the table has it. */
export function refuseBlocked(req: DownstreamRequest, res: DownstreamResponse, close: boolean, scope?: AnswerScope): void {
  if (res.headersSent || res.destroyed) return;
  const headers = ['content-type', 'text/plain; charset=utf-8', 'content-length', String(FORBIDDEN.length)];
  if (close) headers.push('connection', 'close');
  scope?.answerHeaders?.(headers, scope);
  res.writeHead(403, undefined, headers);
  res.end(req.method === 'HEAD' ? undefined : FORBIDDEN);
}
