import { isIPv4, isIPv6 } from 'node:net';

/** IPv4 ranges a webhook must never reach: [network, prefix length]. */
const FORBIDDEN_V4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, incl. the instance metadata service 169.254.169.254
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. broadcast
];

const v4ToNumber = (address: string): number =>
  address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);

const inV4Range = (value: number, network: string, prefix: number): boolean => {
  const size = 2 ** (32 - prefix);
  const start = v4ToNumber(network);
  return value >= start && value < start + size;
};

const isForbiddenV4 = (address: string): boolean => {
  const value = v4ToNumber(address);
  return FORBIDDEN_V4.some(([network, prefix]) => inV4Range(value, network, prefix));
};

/** The eight 16-bit groups of an IPv6 address (embedded dotted IPv4 tail included). */
const v6Groups = (address: string): number[] => {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const tail = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (tail?.[1] !== undefined) {
    const v4 = v4ToNumber(tail[1]);
    text = `${text.slice(0, -tail[1].length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  return [...headGroups, ...Array<string>(missing).fill('0'), ...restGroups].map((g) =>
    Number.parseInt(g, 16),
  );
};

const groupsToV4 = (high: number, low: number): string =>
  [high >>> 8, high & 0xff, low >>> 8, low & 0xff].join('.');

const isForbiddenV6 = (address: string): boolean => {
  const g = v6Groups(address);
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const upperZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible) reach the IPv4 address.
  if (upperZero && (g5 === 0xffff || g5 === 0)) {
    if (g5 === 0 && g6 === 0 && (g7 === 0 || g7 === 1)) return true; // :: and ::1
    return isForbiddenV4(groupsToV4(g6, g7));
  }
  // ::ffff:0:a.b.c.d (IPv4-translated, RFC 2765).
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0xffff && g5 === 0) {
    return isForbiddenV4(groupsToV4(g6, g7));
  }
  // Teredo (2001::/32) hides the IPv4 address it reaches; no webhook needs it.
  if (g0 === 0x2001 && g1 === 0) return true;
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address that would be reached.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return isForbiddenV4(groupsToV4(g6, g7));
  }
  if (g0 === 0x2002) return isForbiddenV4(groupsToV4(g1, g2));
  if ((g0 & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local, incl. fd00:ec2::254
  if ((g0 & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((g0 & 0xffc0) === 0xfec0) return true; // fec0::/10 deprecated site-local
  if ((g0 & 0xff00) === 0xff00) return true; // ff00::/8 multicast
  if (g0 === 0x2001 && g1 === 0x0db8) return true; // documentation
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return true; // discard-only
  return false;
};

/**
 * Whether a webhook may NOT connect to this resolved IP address: loopback, private, CGNAT,
 * link-local (and with it the cloud metadata endpoints 169.254.169.254 and fd00:ec2::254),
 * multicast, reserved and documentation ranges, also when reached through IPv4-mapped,
 * IPv4-translated, NAT64, 6to4 or Teredo IPv6 forms. Anything that is not an IP address counts as forbidden.
 */
const isForbiddenAddress = (address: string): boolean => {
  const text = address.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIPv4(text)) return isForbiddenV4(text);
  if (isIPv6(text)) return isForbiddenV6(text);
  return true;
};

export { isForbiddenAddress };
