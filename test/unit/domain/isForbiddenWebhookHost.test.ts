import { describe, expect, it } from 'vitest';
import { isForbiddenWebhookHost } from '../../../shared/domain/isForbiddenWebhookHost.js';

const hostOf = (url: string): string => new URL(url).hostname;

describe('Function: isForbiddenWebhookHost()', () => {
  it.each([
    'http://localhost/',
    'http://LOCALHOST./',
    'http://hooks.localhost/',
    'http://127.0.0.1/',
    'http://169.254.169.254/',
    'http://10.0.0.8/',
    'http://172.20.1.1/',
    'http://192.168.0.1/',
    'http://100.100.100.200/',
    'http://0.0.0.0/',
    'http://[::1]/',
    'http://[fe80::1]/',
    'http://[fd00:ec2::254]/',
    'http://[::ffff:10.0.0.1]/',
    // WHATWG URL parsing turns these spellings into dotted IPv4 before the check sees them.
    'http://2852039166/',
    'http://0251.0376.0251.0376/',
    'http://0x7f000001/',
  ])('refuses the host of %s', (url) => {
    expect(isForbiddenWebhookHost(hostOf(url))).toBe(true);
  });

  it.each([
    'https://hooks.example.com/',
    'https://localhost.example.com/',
    'https://8.8.8.8/',
    'https://[2606:4700:4700::1111]/',
  ])('leaves the host of %s to delivery-time checks', (url) => {
    expect(isForbiddenWebhookHost(hostOf(url))).toBe(false);
  });
});
