/**
 * The server's JSON log lines (one object per line, `msg` the message) with this message, in the
 * output of a process. Anything else in the output (the start-up banner) is not JSON and is skipped.
 */
export function logLinesWith(output: string, message: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.msg === message) lines.push(parsed);
    } catch {
      // A line cut by the pipe's chunking: only complete lines count.
    }
  }
  return lines;
}

/** How many lines with this message a process logged after `from` (an earlier output length). */
export function countLogLines(output: string, message: string, from = 0): number {
  return logLinesWith(output.slice(from), message).length;
}
