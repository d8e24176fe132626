import { isAppError } from '@tollgate/domain';
import { describe, expect, it } from 'vitest';
import { sameOriginUrl } from './redirect-urls';

const APP = 'https://app.example.com';
const FALLBACK = '/settings/billing';

describe('sameOriginUrl: redirects stay on the app origin', () => {
  it.each([
    ['no URL: the fallback path', undefined, APP, 'https://app.example.com/settings/billing'],
    [
      'a path',
      '/settings/billing?checkout=success',
      APP,
      'https://app.example.com/settings/billing?checkout=success',
    ],
    ['a relative path', 'done', 'https://app.example.com/billing/', 'https://app.example.com/billing/done'],
    ['the same origin, absolute', 'https://app.example.com/a?b=1#c', APP, 'https://app.example.com/a?b=1#c'],
    ['the same origin in capitals', 'HTTPS://APP.EXAMPLE.COM/x', APP, 'https://app.example.com/x'],
    ['an http app (development)', '/x', 'http://localhost:5173', 'http://localhost:5173/x'],
    ['an http app, absolute', 'http://localhost:5173/y', 'http://localhost:5173', 'http://localhost:5173/y'],
  ])('%s', (_label, candidate, appUrl, expected) => {
    expect(sameOriginUrl(candidate, appUrl, FALLBACK)).toBe(expected);
  });

  it('resolves the fallback against the app URL', () => {
    expect(sameOriginUrl(undefined, 'http://localhost:5173/', 'account')).toBe(
      'http://localhost:5173/account',
    );
  });

  it.each([
    ['another host', 'https://evil.example.com/settings'],
    ['a protocol-relative URL', '//evil.example.com/x'],
    ['another scheme on the same host', 'http://app.example.com/settings'],
    ['another port', 'https://app.example.com:8443/settings'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['a blob: URL of the app origin (not http)', 'blob:https://app.example.com/0b5e-4c2a'],
    ['a user name', 'https://user@app.example.com/'],
    ['a password', 'https://:secret@app.example.com/'],
    ['a host that only starts like the app', 'https://app.example.com.evil.io/'],
    ['not a URL', 'http://[::1'],
  ])('refuses %s with INVALID_REDIRECT_URL', (_label, candidate) => {
    let caught: unknown;
    try {
      sameOriginUrl(candidate, APP, FALLBACK);
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught, 'INVALID_REDIRECT_URL')).toBe(true);
  });
});
