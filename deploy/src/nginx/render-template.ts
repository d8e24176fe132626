/**
 * What the nginx image's 20-envsubst-on-templates.sh does with NGINX_ENVSUBST_FILTER=^TOLLGATE_:
 * replace `${TOLLGATE_*}` and leave every other `$` (nginx's own variables) alone. Stricter than
 * envsubst in one way: a TOLLGATE_ variable without a value is an error here, where envsubst would
 * silently render an empty string into the config.
 */
export function renderTemplate(template: string, values: Record<string, string>): string {
  const missing = new Set<string>();
  const rendered = template.replace(/\$\{(TOLLGATE_[A-Z0-9_]+)\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    return value;
  });
  if (missing.size > 0) throw new Error(`template variables without a value: ${[...missing].join(', ')}`);
  return rendered;
}

/** The TOLLGATE_ variables a template uses, so tests can check compose provides each one. */
export function templateVariables(template: string): string[] {
  const names = [...template.matchAll(/\$\{(TOLLGATE_[A-Z0-9_]+)\}/g)].map((match) => match[1] ?? '');
  return [...new Set(names)].sort();
}
