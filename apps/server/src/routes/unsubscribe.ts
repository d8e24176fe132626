import type { Services, UnsubscribeLinks } from '@tollgate/api';
import { escapeHtml } from '@tollgate/mail';
import express, { type Request, type Response } from 'express';

/** Where a user switches a category back on (the web app's page). */
const SETTINGS_PATH = '/settings/notifications';

const CATEGORY_NAMES = { usage_alerts: 'usage alert', reminders: 'reminder' } as const;

/**
 * The target of the List-Unsubscribe header (`/api/v1/notifications/unsubscribe?token=…`):
 * - POST switches the link's category of email off: RFC 8058's one-click (a mail client posts
 *   `List-Unsubscribe=One-Click`), and the button of the page below. Doing it again changes nothing.
 * - GET only shows that button: link scanners and previews fetch every URL in a message, so a GET that
 *   unsubscribed would switch mail off that nobody asked to stop.
 * The signed token is the whole authorization: no session, so it works from any mail client.
 */
export function unsubscribeRoutes(links: UnsubscribeLinks, services: Services, appUrl: string) {
  const router = express.Router();
  const settingsUrl = new URL(SETTINGS_PATH, appUrl).toString();

  function linkOf(req: Request) {
    const token = req.query['token'];
    return typeof token === 'string' && token.length <= 512 ? links.verify(token) : null;
  }

  function page(res: Response, status: number, heading: string, body: string) {
    res
      .status(status)
      .type('html')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${heading}</title>` +
          `<meta name="viewport" content="width=device-width, initial-scale=1"></head>` +
          `<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem">` +
          `<h1>${heading}</h1>${body}</body></html>`,
      );
  }

  const invalid = (res: Response) =>
    page(
      res,
      400,
      'This unsubscribe link is not valid',
      `<p>Choose which emails you get in <a href="${escapeHtml(settingsUrl)}">your notification settings</a>.</p>`,
    );

  router.get('/notifications/unsubscribe', (req, res) => {
    const link = linkOf(req);
    if (!link) return invalid(res);
    const name = CATEGORY_NAMES[link.category];
    page(
      res,
      200,
      `Stop ${name} emails?`,
      `<form method="post"><button type="submit">Unsubscribe from ${name} emails</button></form>` +
        `<p>In-app notices stay on. Manage every email in <a href="${escapeHtml(settingsUrl)}">your notification settings</a>.</p>`,
    );
  });

  router.post('/notifications/unsubscribe', async (req, res) => {
    const link = linkOf(req);
    if (!link) return invalid(res);
    const isDone = await services.notifications.unsubscribeEmail(link.userId, link.category);
    if (!isDone) return invalid(res);
    const name = CATEGORY_NAMES[link.category];
    page(
      res,
      200,
      `You won't get ${name} emails any more`,
      `<p>Switch them back on in <a href="${escapeHtml(settingsUrl)}">your notification settings</a>.</p>`,
    );
  });

  return router;
}
