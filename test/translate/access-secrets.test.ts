import { describe, expect, it } from 'vitest';
import { A, A_SERVER, backend, prefix, problem, table, vhost, withPolicies } from './builders.ts';
import { translateCase } from './fixture-case.ts';

/** Basic auth Secrets become route policies (users as data), or a 503 deny: never unprotected. */
describe('basic auth Secrets', () => {
  it('reads auth-file and auth-map Secrets; a missing or cross-namespace Secret denies with 503', () => {
    const deny = { kind: 'deny', status: 503 } as const;
    expect(translateCase({ name: 'basic-auth', want: undefined as never })).toEqual({
      table: table([
        vhost('elsewhere.test', withPolicies(prefix('/', A, 'default/elsewhere'), deny)),
        vhost('file.test', withPolicies(prefix('/', A, 'default/file'), {
          kind: 'basic-auth', realm: 'Authentication Required',
          users: ['alice', '{SHA}UWuXg/ylF+7L0dBk2i0WUxCxl1k=', 'bob', '$apr1$G.O67pQP$CZcLr7dvlPR3tJ4MyR4WJ/'],
        })),
        vhost('map.test', withPolicies(prefix('/', A, 'default/map'),
          { kind: 'ip-access', allow: ['10.0.0.0/8'], deny: [] },
          { kind: 'basic-auth', realm: '', users: ['dave', '{PLAIN}secret'] })),
        vhost('missing.test', withPolicies(prefix('/a', A, 'default/missing'), deny), withPolicies(prefix('/b', A, 'default/missing'), deny)),
      ], [backend(A, A_SERVER)]),
      problems: [
        problem('default/elsewhere', 'AuthSecretRefused', 'auth-secret other/users is in another namespace (not allowed, as in ingress-nginx): requests get 503'),
        problem('default/file', 'UnsupportedPasswordHash', 'auth-secret default/users: users carol have a hash Pier cannot check (use htpasswd -B, -m or -s) and cannot sign in'),
        problem('default/missing', 'AuthSecretNotFound', 'auth-secret default/nowhere does not exist (Pier reads Secrets of type Opaque or kubernetes.io/tls): requests get 503'),
      ],
    });
  });
});
