import type { EmailOf, MemberRole } from '../email-types.js';
import { formatDate } from '../format.js';
import type { EmailContent, TemplateContext } from './email-content.js';

const ROLE_PHRASE: Record<MemberRole, string> = {
  owner: 'an owner',
  admin: 'an admin',
  member: 'a member',
};

export function teamInvitationContent(
  email: EmailOf<'team_invitation'>,
  context: TemplateContext,
): EmailContent {
  return {
    subject: `You're invited to join ${email.accountName} on ${context.productName}`,
    preview: `${email.inviterEmail} invited you to the team “${email.accountName}”.`,
    heading: `Join “${email.accountName}” on ${context.productName}`,
    paragraphs: [
      // The inviter's address is one they verified (or their host platform vouches for); the team's
      // name is free text its creator typed, so it is quoted as a name, never read as our words.
      `${email.inviterEmail} invited you to join the team “${email.accountName}” on ${context.productName} as ${ROLE_PHRASE[email.role]}.`,
    ],
    action: { label: 'Accept invitation', url: email.acceptUrl },
    notes: [
      `This invitation expires on ${formatDate(email.expiresAt)}. If you weren't expecting it, you can ignore this email.`,
      `The team's name was chosen by its creator, not by ${context.productName}.`,
    ],
  };
}
