import { accessLog, logLevel } from './configmap-flags.ts';
import { isBool, isEmpty, whileOff, type ConfigMapKey } from './configmap-key.ts';

const ACCESS_LOG = 'ingress-nginx logs every request unless disabled, Pier only with --access-log: "false" → --access-log=stdout (or the file of access-log-path), "true" → --access-log=off; one JSON line per request with the field names of ingress-nginx\'s JSON example';
const LOG_PATH = 'the file the access log goes to: /var/log/nginx/access.log (ingress-nginx\'s symlink to stdout) → --access-log=stdout, another absolute path → --access-log=PATH';
const STREAM = 'the TCP/UDP (stream) services\' log; Pier has no TCP/UDP services';
const JSON_LINES = 'Pier\'s access log lines are JSON, escaped as JSON, whatever this says';
const TRACING = 'Pier makes no spans and exports no traces (clients\' traceparent and tracestate headers reach backends unchanged); no effect while enable-opentelemetry is off';
const JAEGER = 'ingress-nginx dropped OpenTracing (Jaeger, Zipkin) in v1.10.0: it ignores this key too';
const SYSLOG = 'logs go to stdout (the access log with --access-log): ship them with the cluster\'s log collector; no effect while enable-syslog is off';

/** Logs and tracing: ingress-nginx's ConfigMap keys for what it writes about requests. */
export const LOG_KEYS: readonly ConfigMapKey[] = [
  { key: 'disable-access-log', status: 'flag', flags: ['access-log'], convert: accessLog('disable-access-log'), example: 'false', note: ACCESS_LOG },
  { key: 'disable-http-access-log', status: 'flag', flags: ['access-log'], convert: accessLog('disable-http-access-log'), example: 'true', note: ACCESS_LOG },
  { key: 'access-log-path', status: 'flag', flags: ['access-log'], convert: accessLog('access-log-path'), example: '/var/log/nginx/access.log', note: LOG_PATH },
  { key: 'http-access-log-path', status: 'flag', flags: ['access-log'], convert: accessLog('http-access-log-path'), example: '/var/log/pier/access.log', note: `${LOG_PATH}; it wins over access-log-path` },
  { key: 'disable-stream-access-log', status: 'not-needed', note: STREAM },
  { key: 'stream-access-log-path', status: 'not-needed', note: STREAM },
  { key: 'log-format-stream', status: 'not-needed', note: STREAM },
  { key: 'access-log-params', status: 'not-needed', note: 'nginx\'s buffer=, gzip=, flush= for the log file: Pier writes lines without blocking, batching those that come while a write is in flight' },
  { key: 'log-format-upstream', status: 'unsupported', note: 'Pier\'s access log has one format: JSON lines with the field names of ingress-nginx\'s documented JSON example (README: Access log); a format of your own is not carried over' },
  { key: 'log-format-escape-json', status: 'not-needed', note: JSON_LINES },
  { key: 'log-format-escape-none', status: 'not-needed', note: JSON_LINES },
  { key: 'skip-access-log-urls', status: 'unsupported', honours: isEmpty, note: 'requests for these URIs are logged; per Ingress, enable-access-log: "false" leaves a whole Ingress out' },
  { key: 'enable-access-log-for-default-backend', status: 'always', honours: isBool(true), note: 'Pier logs requests that match no rule like any other, as "true"; "false", ingress-nginx\'s default, is not honoured' },
  { key: 'enable-auth-access-log', status: 'unsupported', honours: isBool(false), note: 'external-auth subrequests are not logged' },
  { key: 'error-log-level', status: 'flag', flags: ['log-level'], convert: logLevel, example: 'warn', note: 'nginx levels → Pier\'s: "notice" → --log-level=info; debug → debug, info and notice → info, warn → warn, error → error, crit, alert and emerg → fatal' },
  { key: 'error-log-path', status: 'not-needed', note: 'Pier\'s own log is JSON lines on stdout (ingress-nginx\'s /var/log/nginx/error.log was a symlink to stderr)' },
  { key: 'debug-connections', status: 'unsupported', honours: isEmpty, note: 'nginx\'s debug log for chosen client addresses; Pier\'s --log-level=debug logs for every client' },
  { key: 'enable-syslog', status: 'unsupported', honours: isBool(false), note: 'logs go to stdout (the access log with --access-log), not to a syslog server: ship them with the cluster\'s log collector' },
  { key: 'syslog-host', status: 'unsupported', honours: whileOff('enable-syslog'), note: SYSLOG },
  { key: 'syslog-port', status: 'unsupported', honours: whileOff('enable-syslog'), note: SYSLOG },
  // Tracing.
  { key: 'enable-opentelemetry', status: 'unsupported', honours: isBool(false), note: 'Pier makes no spans and exports no traces; clients\' traceparent and tracestate headers reach backends unchanged' },
  ...['opentelemetry-trust-incoming-span', 'opentelemetry-operation-name', 'opentelemetry-config', 'otlp-collector-host', 'otlp-collector-port', 'otel-max-queuesize', 'otel-schedule-delay-millis', 'otel-max-export-batch-size', 'otel-service-name', 'otel-sampler', 'otel-sampler-parent-based', 'otel-sampler-ratio']
    .map((key): ConfigMapKey => ({ key, status: 'unsupported', honours: whileOff('enable-opentelemetry'), note: TRACING })),
  ...['jaeger-collector-host', 'jaeger-collector-port', 'jaeger-endpoint', 'jaeger-service-name', 'jaeger-propagation-format', 'jaeger-sampler-type', 'jaeger-sampler-param', 'jaeger-sampler-host', 'jaeger-sampler-port', 'jaeger-trace-context-header-name', 'jaeger-debug-header', 'jaeger-baggage-header', 'jaeger-trace-baggage-header-prefix', 'jaeger-tracer-baggage-header-prefix']
    .map((key): ConfigMapKey => ({ key, status: 'inert', note: JAEGER })),
];
