/**
 * What a template decides: words and links, as plain text. The shared layout turns it into MJML
 * (escaping every value) and into the text part, so no template writes markup or escapes by hand.
 */
export interface EmailContent {
  subject: string;
  /** Inbox preview line shown after the subject. */
  preview: string;
  heading: string;
  paragraphs: string[];
  /** Label/value rows such as amount or plan, shown as a small table. */
  details?: Array<{ label: string; value: string }>;
  action: { label: string; url: string };
  /** Small print below the button (expiry, "ignore this if it wasn't you"). */
  notes?: string[];
}

export interface TemplateContext {
  appUrl: string;
  productName: string;
}
