import { describe, expect, it } from 'vitest';
import { parseFastcgiAnnotations } from '../../../src/translate/annotations/fastcgi.ts';
import { FASTCGI_DEFAULTS } from '../../../src/routing/fastcgi-defaults.ts';

const configMaps: Record<string, Record<string, string>> = {
  'shop/php-params': { SCRIPT_FILENAME: '/app/public/index.php', APP_ENV: 'production' },
  'shop/with-variable': { SCRIPT_FILENAME: '$document_root$fastcgi_script_name' },
  'shop/httpoxy': { HTTP_PROXY: 'http://evil:3128' },
  'shop/bad-name': { 'my-param': 'x' },
  'other/php-params': { A: 'b' },
};

function parse(annotations: Record<string, string | undefined>) {
  return parseFastcgiAnnotations({
    namespace: 'shop',
    get: (name) => annotations[`pier.dev/${name}`] ?? annotations[`nginx.ingress.kubernetes.io/${name}`],
    configMap: (ns, name) => configMaps[`${ns}/${name}`],
  });
}

const NG = 'nginx.ingress.kubernetes.io/';

describe('parseFastcgiAnnotations (ingress-nginx fastcgi-index, fastcgi-params-configmap)', () => {
  it.each([
    { name: 'none set', annotations: {}, want: { problems: [] } },
    { name: 'fastcgi-index', annotations: { [`${NG}fastcgi-index`]: 'app.php' }, want: { fastcgi: { ...FASTCGI_DEFAULTS, index: 'app.php' }, problems: [] } },
    { name: 'pier.dev/ wins', annotations: { [`${NG}fastcgi-index`]: 'app.php', 'pier.dev/fastcgi-index': 'main.php' }, want: { fastcgi: { ...FASTCGI_DEFAULTS, index: 'main.php' }, problems: [] } },
    {
      name: 'params from a ConfigMap, sorted by key', annotations: { [`${NG}fastcgi-params-configmap`]: 'php-params' },
      want: { fastcgi: { ...FASTCGI_DEFAULTS, params: [{ name: 'APP_ENV', value: 'production' }, { name: 'SCRIPT_FILENAME', value: '/app/public/index.php' }] }, problems: [] },
    },
    {
      name: 'namespace/name in the Ingress namespace', annotations: { [`${NG}fastcgi-params-configmap`]: 'shop/php-params' },
      want: { fastcgi: { ...FASTCGI_DEFAULTS, params: [{ name: 'APP_ENV', value: 'production' }, { name: 'SCRIPT_FILENAME', value: '/app/public/index.php' }] }, problems: [] },
    },
  ])('$name', ({ annotations, want }) => {
    expect(parse(annotations)).toEqual(want);
  });

  it.each([
    { name: 'index with a slash', annotations: { [`${NG}fastcgi-index`]: 'a/index.php' }, problem: 'annotation fastcgi-index: "a/index.php" is not a file name (no "/", no control characters, at most 255 characters)' },
    { name: 'another namespace', annotations: { [`${NG}fastcgi-params-configmap`]: 'other/php-params' }, problem: 'annotation fastcgi-params-configmap: ConfigMap other/php-params is in another namespace than the Ingress (shop); only the Ingress\'s own namespace is allowed' },
    { name: 'missing ConfigMap', annotations: { [`${NG}fastcgi-params-configmap`]: 'nope' }, problem: 'annotation fastcgi-params-configmap: ConfigMap shop/nope not found' },
    { name: 'not a name', annotations: { [`${NG}fastcgi-params-configmap`]: 'Bad_Name' }, problem: 'annotation fastcgi-params-configmap: "Bad_Name" is not a ConfigMap name or namespace/name' },
    { name: 'nginx variables', annotations: { [`${NG}fastcgi-params-configmap`]: 'with-variable' }, problem: 'annotation fastcgi-params-configmap: ConfigMap shop/with-variable key "SCRIPT_FILENAME": nginx variables ($...) are not expanded by Pier: write the value itself' },
    { name: 'httpoxy', annotations: { [`${NG}fastcgi-params-configmap`]: 'httpoxy' }, problem: 'annotation fastcgi-params-configmap: ConfigMap shop/httpoxy key "HTTP_PROXY": HTTP_PROXY is never passed (httpoxy)' },
    { name: 'bad key', annotations: { [`${NG}fastcgi-params-configmap`]: 'bad-name' }, problem: 'annotation fastcgi-params-configmap: ConfigMap shop/bad-name key "my-param": not a parameter name (letters, digits and _, not starting with a digit)' },
  ])('invalid: $name', ({ annotations, problem }) => {
    expect(parse(annotations)).toEqual({ problems: [problem] });
  });
});
