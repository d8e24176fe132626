/** The families a scrape exports, from its `# TYPE <name> <type>` lines. */
export function exportedFamilies(exposition: string): Set<string> {
  const families = new Set<string>();
  for (const match of exposition.matchAll(/^# TYPE (\S+) \S+$/gm)) {
    if (match[1]) families.add(match[1]);
  }
  return families;
}

/**
 * The Tollgate metric names a PromQL expression reads (`tollgate_…`), as families: a histogram's
 * `_bucket`, `_sum` and `_count` series belong to the family without the suffix.
 */
export function tollgateFamiliesIn(expr: string, exported: ReadonlySet<string>): string[] {
  const names = [...expr.matchAll(/\btollgate_[a-zA-Z0-9_]+/g)].map((match) => match[0]);
  return [...new Set(names)].map((name) => {
    if (exported.has(name)) return name;
    const family = name.replace(/_(bucket|sum|count)$/, '');
    return exported.has(family) ? family : name;
  });
}
