import { renderInboxPage, renderMessagePage, type DevInbox } from '@tollgate/mail';
import express from 'express';

const BASE_PATH = '/dev/inbox';

/**
 * The dev inbox: every email the in-process SMTP server caught, as a page and as JSON (the e2e tests
 * read verification and reset links from it). Mounted only when that server runs, which is never in
 * production (env.ts requires SMTP settings there).
 */
export function devInboxRoutes(inbox: DevInbox) {
  const router = express.Router();
  const newestFirst = () => [...inbox.messages()].reverse();
  router.get(BASE_PATH, (_req, res) => {
    res.type('html').send(renderInboxPage(inbox.messages(), { basePath: BASE_PATH }));
  });
  router.get(`${BASE_PATH}/messages.json`, (_req, res) => {
    res.json({ messages: newestFirst() });
  });
  router.get(`${BASE_PATH}/:id`, (req, res) => {
    const message = inbox.messages().find((candidate) => candidate.id === req.params.id);
    if (!message) {
      res.status(404).type('text').send('No such message (the dev inbox keeps the last 500)');
      return;
    }
    res.type('html').send(renderMessagePage(message, { basePath: BASE_PATH }));
  });
  return router;
}
