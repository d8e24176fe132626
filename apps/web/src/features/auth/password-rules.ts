/** The server's passwordSchema minimum: sign-up and password reset say it and check it before sending. */
export const PASSWORD_MIN_LENGTH = 8;

export const PASSWORD_HINT = `At least ${PASSWORD_MIN_LENGTH} characters.`;
