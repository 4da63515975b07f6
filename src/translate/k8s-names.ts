import { isIP } from 'node:net';

/*
 * Kubernetes name formats, as the API server checks them (apimachinery validation). Pier checks
 * them too because a manifest directory bypasses the API server: an object the API server would
 * refuse is refused here with the same rule.
 */

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])*$/;

/** DNS-1123 subdomain: lower-case labels of `[a-z0-9-]` joined by dots, at most 253 characters. */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

/** DNS-1035 label (a Service name): starts with a letter, at most 63 characters. */
export function isDns1035Label(value: string): boolean {
  return value.length <= 63 && DNS1035_LABEL.test(value);
}

/** IANA service name (a port name): at most 15 characters, at least one letter, no `--`. */
export function isIanaSvcName(value: string): boolean {
  return value.length <= 15 && IANA_SVC_NAME.test(value) && /[a-z]/.test(value) && !value.includes('--');
}

/**
 * Ingress rule host: a DNS-1123 subdomain, or `*.` followed by one (a single-label wildcard).
 * IP addresses are refused, as the API server does ("must be a DNS name, not an IP address").
 * Returns an error text, or undefined when the host is valid.
 */
export function ingressHostError(host: string): string | undefined {
  if (isIP(host) !== 0) return 'must be a DNS name, not an IP address';
  const name = host.startsWith('*.') ? host.slice(2) : host;
  if (!isDns1123Subdomain(name)) {
    return 'must be a DNS-1123 subdomain (lower-case letters, digits, "-" and "."), optionally prefixed by "*."';
  }
  return undefined;
}
