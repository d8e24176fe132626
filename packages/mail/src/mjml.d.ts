// Local types for MJML 4: @types/mjml pulls in @types/mjml-core@* which now describes MJML 5's
// async API, while MJML 4's mjml2html is synchronous. Only what this package uses is declared.
declare module 'mjml' {
  interface MjmlValidationError {
    line: number;
    message: string;
    tagName: string;
    formattedMessage: string;
  }

  interface MjmlOptions {
    validationLevel?: 'strict' | 'soft' | 'skip';
    keepComments?: boolean;
    minify?: boolean;
  }

  interface MjmlResult {
    html: string;
    errors: MjmlValidationError[];
  }

  export default function mjml2html(input: string, options?: MjmlOptions): MjmlResult;
}
