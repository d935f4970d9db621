import type { estypes } from "@elastic/elasticsearch";
import { z } from "zod";
import { readInputText } from "../../core/input-files.js";
import { InputError, zodProblems, type Problem } from "../../core/problems.js";
import type { ExceptionResolution, FilterClause, LoadedRule, RuleOrigin } from "./rule.js";

/** Reads one rule document (detection-rules' layout) as the TOML loader does. */
export type RuleFromDocument = (
  document: unknown,
  origin: RuleOrigin,
  exceptions: (references: readonly unknown[]) => ExceptionResolution,
) => LoadedRule;

/**
 * Kibana's detection engine export (`POST /api/detection_engine/rules/_export`): NDJSON with one
 * rule per line, then the exception lists its rules reference (each list, then its items), any
 * action connectors, and the export summary last.
 */

/** Kibana's entry types and operators of an exception item (Kibana's exception list schemas). */
type Entry = z.infer<typeof Entry>;
const Operator = z.enum(["included", "excluded"]);
const LeafEntry = z.discriminatedUnion("type", [
  z.looseObject({
    type: z.literal("match"),
    field: z.string().min(1),
    operator: Operator,
    value: z.string(),
  }),
  z.looseObject({
    type: z.literal("match_any"),
    field: z.string().min(1),
    operator: Operator,
    value: z.array(z.string()).min(1),
  }),
  z.looseObject({ type: z.literal("exists"), field: z.string().min(1), operator: Operator }),
  z.looseObject({
    type: z.literal("wildcard"),
    field: z.string().min(1),
    operator: Operator,
    value: z.string(),
  }),
  z.looseObject({ type: z.literal("list"), field: z.string().min(1), operator: Operator, list: z.unknown() }),
]);
const Entry = z.union([
  LeafEntry,
  z.looseObject({ type: z.literal("nested"), field: z.string().min(1), entries: z.array(LeafEntry).min(1) }),
]);

const ExceptionItem = z.looseObject({
  item_id: z.string().min(1),
  list_id: z.string().min(1),
  name: z.string().default(""),
  namespace_type: z.enum(["single", "agnostic"]).default("single"),
  entries: z.array(Entry).min(1),
  expire_time: z.string().optional(),
});

const ExceptionList = z.looseObject({
  list_id: z.string().min(1),
  name: z.string().default(""),
  type: z.string(),
  namespace_type: z.enum(["single", "agnostic"]).default("single"),
});

const ListReference = z.looseObject({
  list_id: z.string().min(1),
  namespace_type: z.enum(["single", "agnostic"]).default("single"),
  type: z.string().optional(),
});

const Summary = z.looseObject({
  exported_count: z.number().int().min(0),
  exported_rules_count: z.number().int().min(0),
  exported_exception_list_count: z.number().int().min(0).optional(),
  exported_exception_list_item_count: z.number().int().min(0).optional(),
});

interface Line {
  readonly line: number;
  readonly value: Record<string, unknown>;
}

interface ListWithItems {
  readonly name: string;
  readonly items: z.infer<typeof ExceptionItem>[];
}

/** An export of a few thousand rules with their exception lists fits. */
const MAX_EXPORT_BYTES = 64 * 1024 * 1024;

/** Whether a file is an NDJSON export by its name. */
export const isKibanaExport = (path: string): boolean => path.endsWith(".ndjson");

/**
 * Every rule of a Kibana export, each loaded, held for ES|QL or skipped with its reason, with the
 * exception lists the export carries applied as Kibana applies them. A line that is not JSON, an
 * object of no kind the export writes, or a summary that disagrees with the lines is refused.
 */
export function loadKibanaExport(
  path: string,
  ruleFromDocument: RuleFromDocument,
  now = new Date(),
): LoadedRule[] {
  const { file, text } = readInputText(path, MAX_EXPORT_BYTES);
  const problems: Problem[] = [];
  const at = (line: number, path: string, message: string): Problem => ({
    file,
    line,
    column: 1,
    path,
    message,
  });
  const lines = parseLines(file, text);
  const rules: Line[] = [];
  const lists = new Map<string, ListWithItems & { line: number }>();
  const items: (Line & { item: z.infer<typeof ExceptionItem> })[] = [];
  let summary: { line: number; value: z.infer<typeof Summary> } | undefined;
  const parsed = <T>(schema: z.ZodType<T>, line: Line): T | undefined => {
    const result = schema.safeParse(line.value);
    if (result.success) return result.data;
    problems.push(...zodProblems(file, result.error.issues, () => ({ line: line.line, column: 1 })));
    return undefined;
  };
  for (const line of lines) {
    if (summary)
      problems.push(at(line.line, "", "a line after the export summary, which Kibana writes last"));
    const v = line.value;
    if ("exported_count" in v) {
      const value = parsed(Summary, line);
      if (value) summary = { line: line.line, value };
    } else if ("rule_id" in v) rules.push(line);
    else if ("item_id" in v) {
      const item = parsed(ExceptionItem, line);
      if (item) items.push({ ...line, item });
    } else if ("list_id" in v) {
      const list = parsed(ExceptionList, line);
      if (list) lists.set(listKey(list), { name: list.name, items: [], line: line.line });
    } else if (v.type === "action" && "attributes" in v) continue;
    else {
      problems.push(
        at(
          line.line,
          "",
          "expected a rule, an exception list, an exception item, an action connector or the export summary",
        ),
      );
    }
  }
  for (const { line, item } of items) {
    const list = lists.get(listKey(item));
    if (list) list.items.push(item);
    else
      problems.push(
        at(
          line,
          "list_id",
          `the item ${item.item_id} belongs to the list ${item.list_id}, which the export does not hold`,
        ),
      );
  }
  if (summary && summary.value.exported_rules_count !== rules.length) {
    problems.push(
      at(
        summary.line,
        "exported_rules_count",
        `the export summary counts ${summary.value.exported_rules_count} rules, the file holds ${rules.length}: it is incomplete`,
      ),
    );
  }
  if (problems.length > 0) throw new InputError(problems);
  const loaded: LoadedRule[] = [];
  for (const { line, value } of rules) {
    try {
      loaded.push(
        ruleFromDocument(
          { rule: value },
          {
            file,
            start: { line, column: 1 },
            key: () => ({ line, column: 1 }),
            query: () => ({ line, column: 1 }),
          },
          (references) => resolveExceptions(references, lists, now),
        ),
      );
    } catch (error) {
      if (error instanceof InputError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return loaded;
}

function parseLines(file: string, text: string): Line[] {
  const problems: Problem[] = [];
  const lines: Line[] = [];
  text.split("\n").forEach((raw, index) => {
    if (raw.trim() === "") return;
    const line = index + 1;
    try {
      const value: unknown = JSON.parse(raw);
      if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        lines.push({ line, value: value as Record<string, unknown> });
      } else
        problems.push({ file, line, column: 1, path: "", message: "expected a JSON object on each line" });
    } catch (error) {
      problems.push({ file, line, column: 1, path: "", message: `JSON: ${(error as Error).message}` });
    }
  });
  if (problems.length > 0) throw new InputError(problems);
  if (lines.length === 0)
    throw new InputError([{ file, line: 1, column: 1, path: "", message: "the export holds no line" }]);
  return lines;
}

function listKey(list: { list_id: string; namespace_type: string }): string {
  return `${list.namespace_type}/${list.list_id}`;
}

/** The rule's exception lists as one negated clause: an event any unexpired item matches does not alert. */
function resolveExceptions(
  references: readonly unknown[],
  lists: ReadonlyMap<string, ListWithItems>,
  now: Date,
): ExceptionResolution {
  const items: z.infer<typeof ExceptionItem>[] = [];
  for (const reference of references) {
    const parsed = ListReference.safeParse(reference);
    if (!parsed.success) return { ok: false, reason: "a list reference without list_id" };
    const list = lists.get(listKey(parsed.data));
    if (!list) {
      return {
        ok: false,
        reason: `the exception list ${parsed.data.list_id} is not in the export, so the rule would alert on what it excludes`,
      };
    }
    items.push(
      ...list.items.filter((i) => i.expire_time === undefined || Date.parse(i.expire_time) > now.getTime()),
    );
  }
  const valueList = items.find((i) =>
    i.entries.some(
      (e) => e.type === "list" || (e.type === "nested" && e.entries.some((n) => n.type === "list")),
    ),
  );
  if (valueList) {
    return {
      ok: false,
      reason: `the exception item ${valueList.item_id} matches a value list, which Kibana's export does not carry`,
    };
  }
  if (items.length === 0) return { ok: true, clauses: [] };
  const clause: estypes.QueryDslQueryContainer = {
    bool: {
      should: items.map((i) => ({ bool: { filter: i.entries.map((e) => entryDsl(e, "")) } })),
      minimum_should_match: 1,
    },
  };
  const clauses: FilterClause[] = [{ negate: true, clause }];
  return { ok: true, clauses };
}

/** One entry of an exception item, as Kibana's exception filter builds it. */
function entryDsl(entry: Entry, prefix: string): estypes.QueryDslQueryContainer {
  const field = prefix + entry.field;
  const excluded = (query: estypes.QueryDslQueryContainer): estypes.QueryDslQueryContainer =>
    "operator" in entry && entry.operator === "excluded" ? { bool: { must_not: [query] } } : query;
  switch (entry.type) {
    case "match":
      return excluded({ match_phrase: { [field]: entry.value } });
    case "match_any":
      return excluded({
        bool: { should: entry.value.map((v) => ({ match_phrase: { [field]: v } })), minimum_should_match: 1 },
      });
    case "exists":
      return excluded({ exists: { field } });
    case "wildcard":
      return excluded({ wildcard: { [field]: { value: entry.value, case_insensitive: false } } });
    case "nested":
      return {
        nested: {
          path: field,
          query: { bool: { filter: entry.entries.map((e) => entryDsl(e, `${field}.`)) } },
          score_mode: "none",
        },
      };
    case "list":
      throw new Error("value list entries are refused before their filter is built");
  }
}
