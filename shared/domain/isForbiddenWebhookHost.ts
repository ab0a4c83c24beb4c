import { isIP } from 'node:net';
import { isForbiddenAddress } from './isForbiddenAddress.js';

/**
 * Whether a webhook URL's host can be refused without resolving it: `localhost` (and any
 * `*.localhost`, which resolvers map to loopback by RFC 6761) or a literal IP address in a
 * range a webhook must never reach (see {@link isForbiddenAddress}). Other names pass here;
 * what they resolve to is checked at delivery time, when the name is resolved.
 *
 * `hostname` is `URL.hostname`: WHATWG parsing has already turned decimal, octal and hex
 * IPv4 spellings (`http://2852039166/`) into dotted form, and IPv6 literals keep brackets.
 */
const isForbiddenWebhookHost = (hostname: string): boolean => {
  const host = hostname
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  return isIP(host) !== 0 && isForbiddenAddress(host);
};

export { isForbiddenWebhookHost };
