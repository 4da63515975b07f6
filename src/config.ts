import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError } from './errors.ts';

/**
 * Every option Pier has, in one place: flags, their `PIER_*` environment equivalents,
 * defaults and validation. Precedence: flag, then environment, then default.
 */
export interface PierConfig {
  readonly manifests?: string;
  readonly bindAddress: string;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly healthPort: number;
  readonly workers: number;
  readonly ingressClass: string;
  readonly controllerName: string;
  readonly watchNamespace?: string;
  readonly watchIngressWithoutClass: boolean;
  readonly shutdownTimeoutMs: number;
  readonly shutdownDelayMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly keepaliveRequests: number;
  readonly clientHeaderTimeoutMs: number;
  readonly clientBodyTimeoutMs: number;
  readonly electionId: string;
  readonly publishService?: { readonly namespace: string; readonly name: string };
  readonly publishStatusAddress: readonly string[];
  readonly logLevel: LogLevel;
  readonly accessLog: boolean;
  /** Status of requests refused by limit-rps / limit-rpm (nginx limit_req_status). */
  readonly limitReqStatusCode: number;
  /** Status of requests refused by limit-connections (nginx limit_conn_status). */
  readonly limitConnStatusCode: number;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type Kind = 'string' | 'boolean' | 'port' | 'count' | 'duration' | 'list';

interface OptionSpec {
  readonly kind: Kind;
  readonly help: string;
  readonly default?: string;
  readonly placeholder?: string;
}

/** The CLI contract (ARCHITECTURE.md). Order here is the order of `--help`. */
export const OPTIONS = {
  manifests: { kind: 'string', placeholder: 'DIR', help: 'Serve Ingress/Service/EndpointSlice/... objects from the YAML/JSON files in DIR (watched) instead of a cluster.' },
  'bind-address': { kind: 'string', placeholder: 'ADDR', default: '0.0.0.0', help: 'Address the HTTP, HTTPS and health listeners bind to.' },
  'http-port': { kind: 'port', default: '8080', help: 'Port of the HTTP listener.' },
  'https-port': { kind: 'port', default: '8443', help: 'Port of the HTTPS listener (TLS from Ingress spec.tls, certificate chosen by SNI).' },
  'health-port': { kind: 'port', default: '10254', help: 'Port of /healthz, /readyz and /metrics.' },
  workers: { kind: 'count', placeholder: 'N', default: String(availableParallelism()), help: 'Dataplane worker processes (default: available parallelism).' },
  'ingress-class': { kind: 'string', placeholder: 'NAME', default: 'pier', help: 'Name of the IngressClass Pier serves.' },
  'controller-name': { kind: 'string', placeholder: 'NAME', default: 'pier.dev/ingress-controller', help: 'spec.controller value of IngressClasses Pier serves.' },
  'watch-namespace': { kind: 'string', placeholder: 'NS', help: 'Only watch namespaced objects in NS (default: all namespaces).' },
  'watch-ingress-without-class': { kind: 'boolean', help: 'Also serve Ingresses that name no class, even if Pier\'s IngressClass is not the default.' },
  'shutdown-timeout': { kind: 'duration', default: '30s', help: 'Upper bound for draining connections on SIGTERM or worker recycle.' },
  'shutdown-delay': { kind: 'duration', default: '0s', help: 'On SIGTERM, keep serving this long first (while Kubernetes removes the pod from endpoints).' },
  'keepalive-timeout': { kind: 'duration', default: '75s', help: 'Close client connections idle this long (nginx keepalive_timeout).' },
  'keepalive-requests': { kind: 'count', default: '1000', help: 'Close a client connection after this many requests (nginx keepalive_requests).' },
  'client-header-timeout': { kind: 'duration', default: '60s', help: 'Answer 408 and close when a request head takes longer than this to arrive (nginx client_header_timeout).' },
  'client-body-timeout': { kind: 'duration', default: '60s', help: 'Answer 408 and close when a request body stops arriving for this long (nginx client_body_timeout).' },
  'election-id': { kind: 'string', placeholder: 'NAME', default: 'pier-leader', help: 'Name of the Lease used for leader election (status writes).' },
  'publish-service': { kind: 'string', placeholder: 'NS/NAME', help: 'Copy this Service\'s load balancer address into Ingress status.' },
  'publish-status-address': { kind: 'list', placeholder: 'ADDR,...', help: 'Write these addresses (IPs or hostnames) into Ingress status.' },
  'log-level': { kind: 'string', placeholder: 'LEVEL', default: 'info', help: `One of ${LOG_LEVELS.join(', ')}.` },
  'access-log': { kind: 'boolean', help: 'Log one JSON line per request (off by default: it costs CPU on the hot path).' },
  'limit-req-status-code': { kind: 'string', placeholder: 'CODE', default: '503', help: 'Status answered to requests over limit-rps / limit-rpm (ingress-nginx\'s limit-req-status-code; 429 is the usual choice).' },
  'limit-conn-status-code': { kind: 'string', placeholder: 'CODE', default: '503', help: 'Status answered to requests over limit-connections (ingress-nginx\'s limit-conn-status-code).' },
} as const satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof OPTIONS;

/** `--http-port` → `PIER_HTTP_PORT`. */
export function envName(option: string): string {
  return `PIER_${option.toUpperCase().replaceAll('-', '_')}`;
}

export function helpText(): string {
  const lines = ['Usage: pier serve [options]', '', 'Options (each also read from the PIER_* environment variable shown):'];
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    const flag = spec.kind === 'boolean' ? `--${name}` : `--${name} ${spec.placeholder ?? valuePlaceholder(spec.kind)}`;
    const dflt = spec.default !== undefined ? ` [default: ${spec.default}]` : '';
    lines.push(`  ${flag.padEnd(34)} ${spec.help}${dflt}  (${envName(name)})`);
  }
  lines.push('  --help                             Show this help.');
  lines.push('', 'Durations take a unit: 500ms, 30s, 5m, 1h (a bare number means seconds).');
  return lines.join('\n');
}

function valuePlaceholder(kind: Kind): string {
  return { string: 'VALUE', boolean: '', port: 'PORT', count: 'N', duration: 'DURATION', list: 'A,B' }[kind];
}

export type CliCommand = { readonly command: 'help' } | { readonly command: 'serve'; readonly config: PierConfig };

/** Parses `argv` (without node and script) and `env`; throws ConfigError on anything invalid. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliCommand {
  const parseOptions: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [name, spec] of Object.entries(OPTIONS)) parseOptions[name] = { type: spec.kind === 'boolean' ? 'boolean' : 'string' };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: parseOptions, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message.replace(/\. To specify.*$/s, '')}; see 'pier --help'`);
  }
  if (parsed.values.help) return { command: 'help' };
  const [command, ...extra] = parsed.positionals;
  if (command === undefined || command === 'help') return { command: 'help' };
  if (command !== 'serve') throw new ConfigError(`unknown command '${command}'; the only command is 'serve' (see 'pier --help')`);
  if (extra.length > 0) throw new ConfigError(`unexpected argument '${extra[0]}'`);

  const raw = (name: OptionName): string | boolean | undefined => {
    const fromFlag = parsed.values[name];
    if (fromFlag !== undefined) return fromFlag;
    const fromEnv = env[envName(name)];
    if (fromEnv !== undefined && fromEnv !== '') return OPTIONS[name].kind === 'boolean' ? parseBoolean(name, fromEnv) : fromEnv;
    return (OPTIONS[name] as OptionSpec).default;
  };
  const str = (name: OptionName) => raw(name) as string | undefined;
  const num = (name: OptionName) => parseValue(name, str(name)!) as number;

  const logLevel = str('log-level')!;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw invalid('log-level', logLevel, `one of ${LOG_LEVELS.join(', ')}`);
  const publishService = str('publish-service');
  const config: PierConfig = {
    manifests: nonEmpty('manifests', str('manifests')),
    bindAddress: str('bind-address')!,
    httpPort: num('http-port'),
    httpsPort: num('https-port'),
    healthPort: num('health-port'),
    workers: num('workers'),
    ingressClass: nonEmpty('ingress-class', str('ingress-class'))!,
    controllerName: nonEmpty('controller-name', str('controller-name'))!,
    watchNamespace: nonEmpty('watch-namespace', str('watch-namespace')),
    watchIngressWithoutClass: raw('watch-ingress-without-class') === true,
    shutdownTimeoutMs: num('shutdown-timeout'),
    shutdownDelayMs: num('shutdown-delay'),
    keepaliveTimeoutMs: num('keepalive-timeout'),
    keepaliveRequests: num('keepalive-requests'),
    clientHeaderTimeoutMs: aboveZero('client-header-timeout', str('client-header-timeout')!, num('client-header-timeout')),
    clientBodyTimeoutMs: aboveZero('client-body-timeout', str('client-body-timeout')!, num('client-body-timeout')),
    electionId: nonEmpty('election-id', str('election-id'))!,
    publishService: publishService === undefined ? undefined : parseNamespacedName('publish-service', publishService),
    publishStatusAddress: parseList(str('publish-status-address')),
    logLevel: logLevel as LogLevel,
    accessLog: raw('access-log') === true,
    limitReqStatusCode: limitStatus('limit-req-status-code', str('limit-req-status-code')!),
    limitConnStatusCode: limitStatus('limit-conn-status-code', str('limit-conn-status-code')!),
  };
  const ports = [config.httpPort, config.httpsPort, config.healthPort];
  if (new Set(ports).size !== ports.length && !ports.includes(0)) {
    throw new ConfigError(`--http-port, --https-port and --health-port must differ (got ${ports.join(', ')})`);
  }
  return { command: 'serve', config };
}

/** nginx limit_req_status / limit_conn_status: 400..599. */
function limitStatus(name: string, value: string): number {
  if (!/^\d{3}$/.test(value) || Number(value) < 400 || Number(value) > 599) throw invalid(name, value, 'a status code from 400 to 599');
  return Number(value);
}

/** A timeout with no "off": 0 would answer 408 to every connection at once. */
function aboveZero(name: string, value: string, ms: number): number {
  if (ms <= 0) throw invalid(name, value, 'more than 0');
  return ms;
}

function invalid(name: string, value: string, expected: string): ConfigError {
  return new ConfigError(`invalid value for --${name}: ${JSON.stringify(value)} (expected ${expected})`);
}

function parseBoolean(name: string, value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`invalid value for ${envName(name)}: ${JSON.stringify(value)} (expected true or false)`);
}

function nonEmpty(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw invalid(name, value, 'a non-empty value');
  return value;
}

function parseValue(name: OptionName, value: string): number {
  const kind = OPTIONS[name].kind;
  if (kind === 'port') {
    if (!/^\d+$/.test(value) || Number(value) > 65535) throw invalid(name, value, 'a port number 0-65535');
    return Number(value);
  }
  if (kind === 'count') {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1_000_000) throw invalid(name, value, 'a whole number of at least 1');
    return Number(value);
  }
  if (kind === 'duration') return parseDuration(name, value);
  throw new Error(`option --${name} is not numeric`);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `5m`, `1h`, or a bare number of seconds (as nginx). */
export function parseDuration(name: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw invalid(name, value, 'a duration such as 500ms, 30s or 5m');
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 's']!;
  if (ms > 24 * 3_600_000) throw invalid(name, value, 'at most 24h');
  return Math.round(ms);
}

function parseNamespacedName(name: string, value: string): { namespace: string; name: string } {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(value);
  if (!m) throw invalid(name, value, 'NAMESPACE/NAME');
  return { namespace: m[1]!, name: m[3]! };
}

function parseList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
