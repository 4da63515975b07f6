import { RE2JS } from 're2js';
import type { ClientCertPolicy } from '../../../routing/policies.ts';
import type { RequestFilter } from '../admission.ts';
import { answer, redirect } from '../answer.ts';
import { removeHeader } from './header-lists.ts';

const CERT_HEADERS = ['ssl-client-cert', 'ssl-client-verify', 'ssl-client-subject-dn', 'ssl-client-issuer-dn'];

/**
 * `auth-tls-*` (nginx ssl_verify_client / ssl_verify_depth): the handshake of the route's host
 * asked for a client certificate and checked it against the policy's CA (sni-certificates.ts);
 * here the verdict is enforced per request, upgrades included:
 * - `on`: a certificate that verified is required; `optional`: one that did not verify is
 *   refused, none is fine; `optional_no_ca`: anything passes; `off`: nothing is checked.
 * - A chain deeper than `depth` CAs is refused as nginx does.
 * - Refused: 400 (nginx answers 400 for its 495/496), or a 302 to `auth-tls-error-page`.
 *   A plain-HTTP request to a host with `on` is refused too: there is no certificate to check
 *   (Pier's one deliberate difference from nginx, whose plain-HTTP server skips the check).
 * - `auth-tls-match-cn`: then the subject DN must match the pattern, else 403 (nginx's
 *   server-level `if ($ssl_client_s_dn !~ ...)`; no certificate has an empty DN).
 * - Passed: the upstream request gets ssl-client-verify, ssl-client-subject-dn,
 *   ssl-client-issuer-dn, and with `auth-tls-pass-certificate-to-upstream` ssl-client-cert
 *   (client-sent values for those are dropped).
 */
export function clientCertFilter(policy: ClientCertPolicy): RequestFilter {
  const { verify, depth, passCertificate, errorPage } = policy;
  const matchCn = policy.matchCn === undefined ? undefined : RE2JS.compile(policy.matchCn);
  if (verify === 'off' && matchCn === undefined) return () => true;
  const refuse: RequestFilter = errorPage === undefined ? (a) => answer(a, 400, []) : (a) => redirect(a, 302, errorPage);
  return (a) => {
    const facts = a.req.conn.clientCert;
    if (facts === undefined) return verify === 'on' ? refuse(a) : matchCn === undefined || answer(a, 403, [], 'client certificate unauthorized\n');
    const ok = facts.verify === 'SUCCESS' && facts.depth <= depth;
    if (!ok && (verify === 'on' || (verify === 'optional' && facts.verify !== 'NONE'))) return refuse(a);
    if (matchCn !== undefined && !matchCn.matcher(facts.subjectDn).find()) return answer(a, 403, [], 'client certificate unauthorized\n');
    a.editRequest((headers) => {
      for (const name of CERT_HEADERS) removeHeader(headers, name);
      headers.push('ssl-client-verify', facts.verify, 'ssl-client-subject-dn', facts.subjectDn, 'ssl-client-issuer-dn', facts.issuerDn);
      if (passCertificate && facts.escapedPem !== '') headers.push('ssl-client-cert', facts.escapedPem);
    });
    return true;
  };
}
