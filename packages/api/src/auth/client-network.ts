import { isIPv6 } from 'node:net';

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * What per-client limits (the auth rate limit, the sign-in lockout's per-client window) count by: an
 * IPv4 address as it is, an IPv6 address by its /64 network. One IPv6 subscriber or cloud host holds a
 * whole /64 (2^64 addresses), so counting by address would give one client a fresh budget per request.
 * An IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, a dual-stack socket's) is its IPv4 address.
 */
export function clientNetworkOf(ip: string): string {
  const mapped = IPV4_MAPPED.exec(ip);
  if (mapped?.[1]) return mapped[1];
  const address = ip.split('%')[0] ?? ip; // a zone id (fe80::1%eth0) names an interface, not a network
  if (!isIPv6(address)) return ip;
  return `${firstFourGroups(address.toLowerCase()).join(':')}::/64`;
}

/** The first four 16-bit groups of a valid IPv6 address, without leading zeros. */
function firstFourGroups(address: string): string[] {
  const [head = '', tail] = address.split('::');
  // An embedded IPv4 tail (64:ff9b::192.0.2.1) stands for two groups.
  const groupsIn = (parts: string[]) => parts.reduce((sum, part) => sum + (part.includes('.') ? 2 : 1), 0);
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - groupsIn(headParts) - groupsIn(tailParts);
  const groups = [...headParts, ...Array<string>(zeros).fill('0'), ...tailParts];
  return groups.slice(0, 4).map((group) => (group.includes('.') ? group : parseInt(group, 16).toString(16)));
}
