import { describe, expect, it } from 'vitest';
import { clientNetworkOf } from './client-network';

describe('clientNetworkOf: what per-client limits count by', () => {
  it('an IPv6 address stands for its /64, however it is written', () => {
    const network = '2001:db8:1:2::/64';
    for (const ip of [
      '2001:db8:1:2:3:4:5:6',
      '2001:db8:1:2::9',
      '2001:0DB8:0001:0002:ffff::1',
      '2001:db8:1:2::',
      '2001:db8:1:2:0:0:192.0.2.1',
    ]) {
      expect(clientNetworkOf(ip), ip).toBe(network);
    }
    expect(clientNetworkOf('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(clientNetworkOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientNetworkOf('::1')).toBe('0:0:0:0::/64');
    expect(clientNetworkOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('an IPv4 address, also mapped into IPv6, is itself; anything else is kept as given', () => {
    expect(clientNetworkOf('203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetworkOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetworkOf('::FFFF:203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetworkOf('unknown')).toBe('unknown');
  });
});
