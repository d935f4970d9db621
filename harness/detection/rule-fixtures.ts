import { existsSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";

import { z } from "zod";
import { parseYamlInput, readInputText } from "../core/input-files.js";
import { dotPath, InputError, locate, zodProblems, type Problem } from "../core/problems.js";
import { loadContext } from "../context/context.js";
import { placeInventory, type Asset } from "../context/inventory.js";
import type { FixtureEvent } from "./memory-index.js";
import { parseDate } from "./field-values.js";
import type { Rule } from "./rule.js";
import {
  DATE_RANGE,
  eventsOf,
  EventSource,
  representable,
  valuesAt,
  type Reading,
  type Report,
} from "./fixture-events.js";

/**
 * Rule unit tests: `<rules folder>/tests/<rule file stem>.yaml` holds named cases, each a set of
 * ECS events (inline, generated from a template, or a JSONL file of recorded events) and the
 * detections the rule must produce from them — or `none`.
 */

const Expected = z.strictObject({
  group: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)),
  count: z.number().int().min(1).default(1),
  events: z.number().int().min(1).optional(),
  distinct: z.record(z.string(), z.number().int().min(0)).optional(),
});

const Case = z.strictObject({
  name: z.string().min(1),
  now: z.iso
    .datetime({ offset: true, error: 'an ISO 8601 date-time such as "2026-11-28T12:10:00Z"' })
    .optional(),
  events: z.array(EventSource).min(1),
  expect: z.union([z.literal("none"), z.array(Expected).min(1)], {
    error: '"none", or a list of expected detections ({ group: {…}, count?, events?, distinct? })',
  }),
});

/** Where the inventory comes from for rules with scanproof's inventory filter. */
const Inventory = z.strictObject({
  context: z.string().min(1).describe("an escalation context file, relative to this file"),
  targets: z
    .record(z.string(), z.ipv4())
    .default({})
    .describe("the lab target addresses of assets declared by target name"),
});

const FixtureFile = z.strictObject({ inventory: Inventory.optional(), cases: z.array(Case).min(1) });

export type ExpectedDetection = z.output<typeof Expected>;

export interface RuleTestCase {
  readonly name: string;
  /** The end of the rule's look-back window: given, or the latest event's timestamp. */
  readonly now: Date;
  readonly events: readonly FixtureEvent[];
  /** Empty: the rule must not fire. */
  readonly expect: readonly ExpectedDetection[];
}

export interface RuleTests {
  readonly file: string;
  /** The placed asset inventory the rule's inventory filter reads; empty without one. */
  readonly inventory: readonly Asset[];
  readonly cases: readonly RuleTestCase[];
}

/** Where a rule's fixture tests live: `tests/<stem>.yaml` beside the rule file. */
export function fixtureFileOf(ruleFile: string): string {
  return join(dirname(ruleFile), "tests", `${basename(ruleFile, ".toml")}.yaml`);
}

/** A look-back as Kibana date math, in the largest unit that divides it. */
function dateMathOf(ms: number): string {
  const units: [string, number][] = [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ];
  const [unit, size] = units.find(([, size]) => ms % size === 0) ?? ["ms", 1];
  return `now-${ms / size}${unit}`;
}

/** Reads and validates a rule's fixture file against the rule; every problem at once. */
export function loadRuleTests(path: string, rule: Rule): RuleTests {
  const { file, text } = readInputText(path);
  const { doc, lines, value } = parseYamlInput(file, text);
  const parsed = FixtureFile.safeParse(value);
  if (!parsed.success) {
    throw new InputError(
      zodProblems(file, parsed.error.issues, (p, anchor) => locate(doc, lines, p, anchor)),
    );
  }
  const problems: Problem[] = [];
  const at = (path: readonly PropertyKey[], message: string) =>
    problems.push({ file, ...locate(doc, lines, path), path: dotPath(path), message });
  const reading: Reading = {
    fixturePath: path,
    file,
    at,
    problems,
    timeFields: [...new Set([rule.timestampField, "@timestamp"])],
  };
  const cases = parsed.data.cases.map((c, i): RuleTestCase => {
    const events: FixtureEvent[] = [];
    const before = problems.length;
    c.events.forEach((source, j) => {
      for (const event of eventsOf(source, ["cases", i, "events", j], events.length, reading))
        events.push(event);
    });
    const sourcesRefused = problems.length > before;
    checkExpectations(rule, c.expect === "none" ? [] : c.expect, ["cases", i, "expect"], at);
    const latest = events.reduce(
      (max, e) =>
        Math.max(
          max,
          timestampOf(e, rule.timestampField) ??
            (rule.timestampFallback ? timestampOf(e, "@timestamp") : undefined) ??
            Number.NEGATIVE_INFINITY,
        ),
      Number.NEGATIVE_INFINITY,
    );
    if (c.now === undefined && !Number.isFinite(latest) && !sourcesRefused) {
      at(["cases", i, "events"], `no event has ${rule.timestampField}, so "now" must be given`);
    }
    const now = c.now === undefined ? latest : Date.parse(c.now);
    if (Number.isFinite(now) && !representable(now - rule.lookbackMs)) {
      at(
        c.now === undefined ? ["cases", i, "events"] : ["cases", i, "now"],
        `the rule's window (from: ${dateMathOf(rule.lookbackMs)}) would start before the earliest date JavaScript can represent when "now" is ${new Date(now).toISOString()}; expected a "now" and a look-back that keep the window within ${DATE_RANGE}`,
      );
    }
    return {
      name: c.name,
      now: new Date(now),
      events,
      expect: c.expect === "none" ? [] : c.expect,
    };
  });
  parsed.data.cases.forEach((c, i) => {
    if (parsed.data.cases.findIndex((o) => o.name === c.name) !== i)
      at(["cases", i, "name"], `the case name "${c.name}" is used twice`);
  });
  const inventory = inventoryOf(parsed.data.inventory, rule, path, at, problems);
  if (problems.length > 0) throw new InputError(problems);
  return { file, inventory, cases };
}

function inventoryOf(
  spec: z.output<typeof Inventory> | undefined,
  rule: Rule,
  fixturePath: string,
  at: Report,
  problems: Problem[],
): Asset[] {
  if (spec === undefined) {
    if (rule.inventoryFilter) {
      at(
        [],
        `the rule's ${rule.inventoryFilter} filter reads the asset inventory: add inventory: { context: <escalation context file>, targets: { <target name>: <address> } }`,
      );
    }
    return [];
  }
  if (!rule.inventoryFilter) {
    at(
      ["inventory"],
      "the rule has no inventory filter ([scanproof] inventory_filter), so no inventory is read",
    );
    return [];
  }
  const contextFile = resolve(dirname(fixturePath), spec.context);
  if (!existsSync(contextFile)) {
    at(["inventory", "context"], `no such file ${relative(process.cwd(), contextFile) || contextFile}`);
    return [];
  }
  try {
    const context = loadContext(contextFile);
    return placeInventory(
      context.assets,
      Object.entries(spec.targets).map(([name, address]) => ({ name, address })),
    );
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    problems.push(...error.problems);
    return [];
  }
}

/** The latest date at the field, read as Elasticsearch reads dates. */
function timestampOf(event: FixtureEvent, field: string): number | undefined {
  const times = valuesAt(event.source, field)
    .map((v) => parseDate(v, false))
    .filter((ms): ms is number => ms !== undefined);
  return times.length > 0 ? Math.max(...times) : undefined;
}

/** Expected groups must name the fields the rule groups by, and distinct counts its cardinality fields. */
function checkExpectations(
  rule: Rule,
  expected: readonly ExpectedDetection[],
  path: readonly PropertyKey[],
  at: Report,
): void {
  const groupFields =
    rule.type === "threshold" ? rule.threshold.fields : ["source.ip", "destination.ip", "event.id"];
  const distinctFields = rule.type === "threshold" ? rule.threshold.cardinality.map((c) => c.field) : [];
  expected.forEach((e, i) => {
    for (const field of Object.keys(e.group)) {
      if (!groupFields.includes(field)) {
        at(
          [...path, i, "group", field],
          `the rule groups by ${groupFields.join(", ") || "nothing"}, not ${field}`,
        );
      }
    }
    for (const field of Object.keys(e.distinct ?? {})) {
      if (!distinctFields.includes(field)) {
        at(
          [...path, i, "distinct", field],
          `the rule counts distinct ${distinctFields.join(", ") || "nothing"}, not ${field}`,
        );
      }
    }
  });
}
