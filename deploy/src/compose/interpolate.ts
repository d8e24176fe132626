export class InterpolationError extends Error {
  override readonly name = 'InterpolationError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

const EXPRESSION = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * docker compose's variable interpolation for one string: `$$` → `$`, `$VAR`, `${VAR}`,
 * `${VAR:-default}` / `${VAR-default}`, `${VAR:?error}` / `${VAR?error}` (the colon forms also treat
 * an empty value as unset). Nested expressions are not supported (the compose file uses none).
 */
export function interpolate(text: string, variables: Record<string, string | undefined>): string {
  const problems: string[] = [];
  const result = text.replace(
    EXPRESSION,
    (
      match,
      braced: string | undefined,
      operator: string | undefined,
      argument: string | undefined,
      bare: string | undefined,
    ) => {
      if (match === '$$') return '$';
      const name = braced ?? bare ?? '';
      const value = variables[name];
      const isUnset = value === undefined || (operator?.startsWith(':') === true && value === '');
      if (operator?.endsWith('-')) return isUnset ? (argument ?? '') : (value ?? '');
      if (operator?.endsWith('?')) {
        if (isUnset) problems.push(`${name}: ${argument || 'required'}`);
        return value ?? '';
      }
      return value ?? '';
    },
  );
  if (problems.length > 0) throw new InterpolationError(problems);
  return result;
}

/** Interpolates every string in a parsed YAML tree; collects all problems before throwing. */
export function interpolateTree<T>(tree: T, variables: Record<string, string | undefined>): T {
  const problems: string[] = [];
  const visit = (node: unknown): unknown => {
    if (typeof node === 'string') {
      try {
        return interpolate(node, variables);
      } catch (error) {
        if (error instanceof InterpolationError) problems.push(...error.problems);
        return node;
      }
    }
    if (Array.isArray(node)) return node.map(visit);
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, visit(value)]));
    }
    return node;
  };
  const result = visit(tree) as T;
  if (problems.length > 0) throw new InterpolationError([...new Set(problems)]);
  return result;
}
