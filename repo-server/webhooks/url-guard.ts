/**
 * The one rule for where a webhook may be sent (SSRF): http or https only, no credentials in the
 * URL, and every address the host is or resolves to must be a public unicast address, unless it
 * lies in an operator's allow list (WEBHOOK_ALLOW_HOSTS: IP addresses and CIDR ranges). Checked
 * when a hook is registered (a clear 400) and again for every connection a delivery opens (the
 * lookup the socket really uses), so a name that later resolves to an internal address is still
 * refused. Address ranges are ipaddr.js's (the library proxy-addr uses).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type AllowList = readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];

/** "127.0.0.1, 10.0.0.0/8, ::1" -> ranges; throws on an entry that is neither an address nor a CIDR. */
export function parseAllowList(text: string | undefined): AllowList {
  const out: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const entry of (text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (entry.includes('/')) out.push(ipaddr.parseCIDR(entry));
    else {
      const address = ipaddr.process(entry);
      out.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    }
  }
  return out;
}

/** Whether a connection to this address may be made. */
export function addressAllowed(address: string, allow: AllowList): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  if (allow.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits))) return true;
  return parsed.range() === 'unicast';
}

/** Why a URL cannot be a webhook's target, or null when it can (its host resolved and checked). */
export async function refuseUrl(text: string, allow: AllowList): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'The URL is not a valid absolute URL.';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'Only http and https URLs can receive webhooks.';
  if (url.username !== '' || url.password !== '') return 'Put no credentials in the URL: the secret signs every delivery.';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  try {
    addresses = isIP(host) !== 0 ? [host] : (await lookupAll(host)).map((a) => a.address);
  } catch {
    return `The host ${host} does not resolve.`;
  }
  const refused = addresses.find((a) => !addressAllowed(a, allow));
  return refused === undefined ? null : `The host ${host} is (or resolves to) ${refused}, an internal address; webhooks go to public addresses unless the operator allows it.`;
}

function lookupAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => dnsLookup(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));
}

/** A `lookup` for http.request that fails the connection when the host resolves to an address not allowed. */
export function guardedLookup(allow: AllowList): LookupFunction {
  return (host: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(host, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const refused = addresses.find((a) => !addressAllowed(a.address, allow));
      if (refused !== undefined) {
        const error: NodeJS.ErrnoException = new Error(`${host} resolves to ${refused.address}, an internal address`);
        error.code = 'EADDRNOTALLOWED';
        return callback(error, '');
      }
      if (options.all === true) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}
