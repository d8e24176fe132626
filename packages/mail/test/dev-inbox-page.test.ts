import { describe, expect, it } from 'vitest';
import type { InboxMessage } from '../src/dev-inbox.js';
import { renderInboxPage, renderMessagePage } from '../src/dev-inbox-page.js';

function inboxMessage(overrides: Partial<InboxMessage>): InboxMessage {
  return {
    id: '1',
    messageId: '<outbox-1@tollgate>',
    from: 'no-reply@tollgate.test',
    to: ['ada@acme.test'],
    subject: 'Hello',
    html: '<p>Hello</p>',
    text: 'Hello',
    date: new Date('2026-12-03T10:00:00Z'),
    headers: {},
    receivedAt: new Date('2026-12-03T10:00:01Z'),
    ...overrides,
  };
}

const HOSTILE = '<script>alert(1)</script>';

describe('renderInboxPage', () => {
  const older = inboxMessage({ id: '1', subject: 'Older', receivedAt: new Date('2026-12-03T10:00:00Z') });
  const newer = inboxMessage({ id: '2', subject: 'Newer', receivedAt: new Date('2026-12-03T11:00:00Z') });

  it('lists newest first with a link to each message', () => {
    const html = renderInboxPage([older, newer], { basePath: '/dev/mail' });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.indexOf('Newer')).toBeLessThan(html.indexOf('Older'));
    expect(html).toContain('<a href="/dev/mail/1">Older</a>');
    expect(html).toContain('<a href="/dev/mail/2">Newer</a>');
    expect(html).toContain('2026-12-03T11:00:00.000Z');
    expect(html).toContain('ada@acme.test');
  });

  it('does not reorder the caller’s array', () => {
    const messages = [older, newer];
    renderInboxPage(messages, { basePath: '/dev/mail/' });
    expect(messages).toEqual([older, newer]);
  });

  it('escapes subjects and recipients', () => {
    const html = renderInboxPage([inboxMessage({ subject: HOSTILE, to: ['"><b>x</b>@evil.test'] })], {
      basePath: '/dev/mail',
    });
    expect(html).not.toContain(HOSTILE);
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('says so when empty', () => {
    expect(renderInboxPage([], { basePath: '/dev/mail' })).toContain('No messages yet.');
  });
});

describe('renderMessagePage', () => {
  it('shows headers, a sandboxed HTML body and the text body, all escaped', () => {
    const message = inboxMessage({
      subject: HOSTILE,
      from: HOSTILE,
      html: `<p onclick="x()">Hi ${HOSTILE}</p>`,
      text: `Plain ${HOSTILE}`,
    });
    const html = renderMessagePage(message, { basePath: '/dev/mail' });
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain(
      '<iframe sandbox srcdoc="&lt;p onclick=&quot;x()&quot;&gt;Hi &lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;"',
    );
    expect(html).toContain('<pre>Plain &lt;script&gt;alert(1)&lt;/script&gt;</pre>');
    expect(html).toContain('&lt;outbox-1@tollgate&gt;');
    expect(html).toContain('<a href="/dev/mail">');
  });

  it('copes with a text-only message', () => {
    const html = renderMessagePage(inboxMessage({ html: '', messageId: null, date: null }), {
      basePath: '/m',
    });
    expect(html).toContain('(no HTML part)');
    expect(html).not.toContain('<iframe');
  });
});
