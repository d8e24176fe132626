export interface DocumentedSetting {
  name: string;
  /** `# NAME=value`: documented but not set (the server's default applies). */
  isCommentedOut: boolean;
  value: string;
  /** The comment lines right above it, `# ` stripped (a group of settings shares one comment). */
  description: string;
}

export interface EnvFile {
  /** What compose reads: the uncommented `NAME=value` lines. */
  values: Record<string, string>;
  settings: DocumentedSetting[];
}

const SETTING = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/;
const SECTION_HEADING = /^#\s*──/;

/**
 * Reads a .env file the way docker compose does for plain `NAME=value` lines (no quotes, no
 * expansion), and keeps each setting's documentation: the comment block directly above it.
 */
export function parseEnvFile(text: string): EnvFile {
  const values: Record<string, string> = {};
  const settings: DocumentedSetting[] = [];
  let comment: string[] = [];
  let description = '';
  for (const line of text.split('\n').map((raw) => raw.trimEnd())) {
    const match = SETTING.exec(line);
    if (match) {
      const [, commentMark, name = '', value = ''] = match;
      if (comment.length > 0) description = comment.join(' ');
      comment = [];
      settings.push({ name, isCommentedOut: Boolean(commentMark), value, description });
      if (!commentMark) values[name] = value;
      continue;
    }
    if (line.startsWith('#') && !SECTION_HEADING.test(line)) {
      comment.push(line.replace(/^#\s?/, ''));
      continue;
    }
    // A blank line or a section heading ends a group: the next setting needs its own description.
    comment = [];
    description = '';
  }
  return { values, settings };
}
