import { PASSWORD_MIN_LENGTH } from './password-rules';

/** What is wrong with the new password and its confirmation, before asking the server; null: nothing. */
export function passwordResetProblem(password: string, confirmation: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) {
    return `Choose a password of at least ${PASSWORD_MIN_LENGTH} characters.`;
  }
  if (password !== confirmation) return "The passwords don't match.";
  return null;
}
