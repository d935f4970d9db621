/**
 * The little of ES|QL's syntax that Kibana reads itself before sending a rule's query to
 * `_query`: the commands between pipes (a pipe inside a string or a comment separates nothing),
 * the source command's index patterns, and whether the query aggregates (has a STATS command),
 * which decides how alerts are identified.
 */

/** The query's commands, split at pipes outside strings ("…", """…""") and comments. */
export function esqlCommands(query: string): string[] {
  const commands: string[] = [];
  let current = "";
  let i = 0;
  while (i < query.length) {
    const rest = query.slice(i);
    const skipped =
      /^"""[\s\S]*?"""/.exec(rest) ??
      /^"(?:[^"\\\n]|\\.)*"/.exec(rest) ??
      /^\/\/[^\n]*/.exec(rest) ??
      /^\/\*[\s\S]*?\*\//.exec(rest);
    if (skipped) {
      current += skipped[0].startsWith("/") ? " " : skipped[0];
      i += skipped[0].length;
      continue;
    }
    const char = query[i] as string;
    if (char === "|") {
      commands.push(current.trim());
      current = "";
    } else {
      current += char;
    }
    i += 1;
  }
  commands.push(current.trim());
  return commands;
}

const keywordOf = (command: string): string => /^\S*/.exec(command)?.[0].toLowerCase() ?? "";

/**
 * The index patterns of the query's FROM command (before any METADATA clause, quotes removed), or
 * undefined when the query reads no index (ROW, SHOW).
 */
export function esqlSourcePatterns(query: string): string[] | undefined {
  const [source = ""] = esqlCommands(query);
  if (keywordOf(source) !== "from") return undefined;
  const list = source
    .slice(4)
    .split(/\s+metadata\s+/i)[0]
    ?.trim();
  if (!list) return undefined;
  return list
    .split(",")
    .map((p) => p.trim().replace(/^"(.*)"$/, "$1"))
    .filter((p) => p !== "");
}

/** Whether the query aggregates, as Kibana decides it: some command is STATS. */
export function isAggregatingEsql(query: string): boolean {
  return esqlCommands(query).some((c) => keywordOf(c) === "stats");
}

/**
 * An ES|QL command or function that needs a plugin beyond x-pack-esql itself. (ST_GEOHEX, which
 * needs elasticsearch-h3, is no function of 8.19's release builds: ES|QL answers "Unknown function".)
 */
export interface EsqlFeature {
  readonly name: string;
  readonly used: RegExp;
  /** The plugin or library it needs (a module name, or the jar's artifact). */
  readonly needs: string;
}

export const PLUGIN_BOUND_ESQL: readonly EsqlFeature[] = [
  { name: "CATEGORIZE", used: /\bcategorize\s*\(/i, needs: "x-pack-ml" },
  { name: "CHANGE_POINT", used: /(^|\|)\s*change_point\b/i, needs: "x-pack-ml" },
];

/** The query without its string literals and comments, where a name is code. */
function esqlCode(query: string): string {
  return query.replace(/"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, '""');
}

/** The plugin-bound features the query uses. */
export function pluginBoundFeatures(query: string): EsqlFeature[] {
  const code = esqlCode(query);
  return PLUGIN_BOUND_ESQL.filter((f) => f.used.test(code));
}
