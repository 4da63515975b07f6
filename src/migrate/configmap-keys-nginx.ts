import { compression, compressionSetting, seconds, workers } from './configmap-flags.ts';
import { isBool, isEmpty, isText, type ConfigMapKey } from './configmap-key.ts';

const HASH = 'sizes one of nginx\'s hash tables; Pier has no nginx configuration to size';
const STREAM = 'TCP/UDP (stream) services, which Pier does not have (HTTP and HTTPS only)';
const ONE_ACCEPT = 'Pier\'s workers share one listening socket (node:cluster)';

/** nginx's processes, memory and modules, compression and GeoIP: ingress-nginx's ConfigMap keys
 * that tune nginx itself. */
export const NGINX_KEYS: readonly ConfigMapKey[] = [
  { key: 'worker-processes', status: 'flag', flags: ['workers'], convert: workers, example: '4', note: '"4" → --workers=4 (chart: controller.workers); "auto" is Pier\'s default, one worker per CPU' },
  { key: 'worker-shutdown-timeout', status: 'flag', flags: ['shutdown-timeout'], convert: seconds('shutdown-timeout'), example: '240s', note: '"240s" → --shutdown-timeout=240s (chart: controller.shutdownTimeoutSeconds, which also sizes the pod\'s grace period)' },
  { key: 'worker-cpu-affinity', status: 'not-needed', note: 'pins nginx workers to CPUs; Pier\'s workers are not pinned (the kubelet\'s CPU manager can pin the pod)' },
  { key: 'enable-serial-reloads', status: 'not-needed', note: 'Pier never reloads: routing changes are swapped into the running workers' },
  { key: 'max-worker-connections', status: 'not-needed', note: 'nginx\'s worker_connections; Pier sets no connection cap per worker (the pod\'s open-file limit bounds it)' },
  { key: 'max-worker-open-files', status: 'not-needed', note: 'nginx\'s worker_rlimit_nofile; Pier\'s workers have the container\'s open-file limit' },
  { key: 'enable-multi-accept', status: 'not-needed', note: ONE_ACCEPT },
  { key: 'reuse-port', status: 'not-needed', note: ONE_ACCEPT },
  { key: 'enable-aio-write', status: 'not-needed', note: 'nginx\'s asynchronous writes of temporary files; Pier streams and writes no temporary files' },
  { key: 'lua-shared-dicts', status: 'not-needed', note: 'sizes ingress-nginx\'s Lua shared memory (certificates, balancer state); Pier has no Lua' },
  { key: 'nginx-status-ipv4-whitelist', status: 'not-needed', note: 'who may read nginx\'s /nginx_status; Pier has none (its metrics are on the health port)' },
  { key: 'nginx-status-ipv6-whitelist', status: 'not-needed', note: 'who may read nginx\'s /nginx_status; Pier has none (its metrics are on the health port)' },
  { key: 'disable-ipv6-dns', status: 'not-needed', note: 'nginx\'s resolver; Pier reads endpoints from EndpointSlices and resolves names with the pod\'s resolver' },
  { key: 'map-hash-bucket-size', status: 'not-needed', note: HASH },
  { key: 'server-name-hash-max-size', status: 'not-needed', note: HASH },
  { key: 'server-name-hash-bucket-size', status: 'not-needed', note: HASH },
  { key: 'proxy-headers-hash-max-size', status: 'not-needed', note: HASH },
  { key: 'proxy-headers-hash-bucket-size', status: 'not-needed', note: HASH },
  { key: 'variables-hash-bucket-size', status: 'not-needed', note: HASH },
  { key: 'variables-hash-max-size', status: 'not-needed', note: HASH },
  { key: 'proxy-stream-timeout', status: 'not-needed', note: STREAM },
  { key: 'proxy-stream-next-upstream', status: 'not-needed', note: STREAM },
  { key: 'proxy-stream-next-upstream-timeout', status: 'not-needed', note: STREAM },
  { key: 'proxy-stream-next-upstream-tries', status: 'not-needed', note: STREAM },
  { key: 'proxy-stream-responses', status: 'not-needed', note: STREAM },
  // Compression.
  { key: 'use-gzip', status: 'flag', flags: ['compression'], convert: compression, example: 'true', note: '"true" → --compression=gzip (with enable-brotli: --compression=br,gzip)' },
  { key: 'enable-brotli', status: 'flag', flags: ['compression'], convert: compression, example: 'true', note: '"true" → --compression=br (with use-gzip: --compression=br,gzip, brotli first as ngx_brotli answers first)' },
  { key: 'gzip-types', status: 'flag', flags: ['compression-types'], convert: compressionSetting('compression-types', 'gzip'), example: 'application/json text/css', note: 'the same space-separated types → --compression-types=...; text/html is always compressed, as in nginx' },
  { key: 'brotli-types', status: 'flag', flags: ['compression-types'], convert: compressionSetting('compression-types', 'br'), example: 'application/json text/css', note: 'with enable-brotli alone → --compression-types=...; Pier has one list for every coding, so with use-gzip too gzip-types decides' },
  { key: 'gzip-min-length', status: 'flag', flags: ['compression-min-length'], convert: compressionSetting('compression-min-length', 'gzip'), example: '1024', note: '"256" → --compression-min-length=256' },
  { key: 'brotli-min-length', status: 'flag', flags: ['compression-min-length'], convert: compressionSetting('compression-min-length', 'br'), example: '1024', note: 'with enable-brotli alone → --compression-min-length=...; with use-gzip too gzip-min-length decides' },
  { key: 'gzip-level', status: 'unsupported', honours: isText('1'), note: 'Pier compresses gzip at level 1, ingress-nginx\'s default; another level is not carried over' },
  { key: 'brotli-level', status: 'unsupported', honours: isText('4'), note: 'Pier compresses brotli at level 4, ingress-nginx\'s default; another level is not carried over' },
  { key: 'gzip-disable', status: 'unsupported', honours: isEmpty, note: 'clients whose User-Agent matches still get gzip: Pier goes by Accept-Encoding alone' },
  // GeoIP.
  { key: 'use-geoip', status: 'inert', note: 'ingress-nginx dropped legacy GeoIP in v1.10.0: it ignores this key too' },
  { key: 'use-geoip2', status: 'unsupported', honours: isBool(false), note: 'no GeoIP2 lookups: the $geoip2_* variables (for logs and snippets) do not exist in Pier' },
  { key: 'geoip2-autoreload-in-minutes', status: 'unsupported', honours: isText('0', ''), note: 'no GeoIP2 databases to reload' },
];
