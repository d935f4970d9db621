import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import ipaddr from "ipaddr.js";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { dotPath, InputError, locate, zodProblems, type Problem } from "../scenario/problems.js";
import { loadContext } from "../escalation/context.js";
import { placeInventory, type Asset } from "../escalation/inventory.js";
import type { FixtureEvent } from "./fixture-engine.js";
import type { Rule } from "./rule.js";

/**
 * Rule unit tests: `<rules folder>/tests/<rule file stem>.yaml` holds named cases, each a set of
 * ECS events (inline, generated from a template, or a JSONL file of recorded events) and the
 * detections the rule must produce from them — or `none`.
 */

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h)$/, "a duration such as 500ms, 2s, 5m or 1h")
  .transform((v) => {
    const n = Number.parseInt(v, 10);
    if (v.endsWith("ms")) return n;
    return n * (v.endsWith("h") ? 3_600_000 : v.endsWith("m") ? 60_000 : 1000);
  });

const Event = z.record(z.string(), z.unknown());

/** One field's values for a generated series: a list, a numeric range "1-99" or an IPv4 CIDR block. */
const Variation = z.union([
  z.array(z.union([z.string(), z.number(), z.boolean()])).min(1),
  z
    .string()
    .regex(
      /^\d+-\d+$|^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/,
      'a list, a range such as "1-99" or a CIDR block such as "10.20.0.0/28"',
    ),
]);

const EventSource = z.union(
  [
    z.strictObject({ jsonl: z.string().min(1), index: z.string().min(1).optional() }),
    z.strictObject({
      event: Event,
      index: z.string().min(1).optional(),
      vary: z.record(z.string(), Variation).optional(),
      every: duration.optional(),
    }),
  ],
  { error: "either { jsonl: <file of recorded events> } or { event: {…}, vary?: {…}, every?: <duration> }" },
);

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

/** Reads and validates a rule's fixture file against the rule; every problem at once. */
export function loadRuleTests(path: string, rule: Rule): RuleTests {
  const file = relative(process.cwd(), path) || path;
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(path, "utf8"), {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false,
  });
  if (doc.errors.length > 0) {
    throw new InputError(
      doc.errors.map((e): Problem => {
        const pos = lines.linePos(e.pos[0]);
        return {
          file,
          line: pos.line,
          column: pos.col,
          path: "",
          message: `YAML: ${e.message.split("\n")[0] ?? ""}`,
        };
      }),
    );
  }
  const parsed = FixtureFile.safeParse(doc.toJS({ maxAliasCount: 1000 }));
  if (!parsed.success) {
    throw new InputError(
      zodProblems(file, parsed.error.issues, (p, anchor) => locate(doc, lines, p, anchor)),
    );
  }
  const problems: Problem[] = [];
  const at = (path: readonly PropertyKey[], message: string) =>
    problems.push({ file, ...locate(doc, lines, path), path: dotPath(path), message });
  const cases = parsed.data.cases.map((c, i): RuleTestCase => {
    const events = c.events.flatMap((source, j) =>
      eventsOf(source, ["cases", i, "events", j], path, file, at, problems),
    );
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
    if (c.now === undefined && !Number.isFinite(latest)) {
      at(["cases", i, "events"], `no event has ${rule.timestampField}, so "now" must be given`);
    }
    return {
      name: c.name,
      now: new Date(c.now ?? latest),
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

type Report = (path: readonly PropertyKey[], message: string) => void;

function eventsOf(
  source: z.output<typeof EventSource>,
  path: readonly PropertyKey[],
  fixturePath: string,
  file: string,
  at: Report,
  problems: Problem[],
): FixtureEvent[] {
  if ("jsonl" in source) {
    const full = resolve(dirname(fixturePath), source.jsonl);
    if (!existsSync(full)) {
      at([...path, "jsonl"], `no such file ${relative(process.cwd(), full) || full}`);
      return [];
    }
    const shown = relative(process.cwd(), full) || full;
    return readFileSync(full, "utf8")
      .split("\n")
      .flatMap((line, n): FixtureEvent[] => {
        if (line.trim() === "") return [];
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch (error) {
          problems.push({
            file: shown,
            line: n + 1,
            column: 1,
            path: "",
            message: `expected one JSON object per line: ${(error as Error).message}`,
          });
          return [];
        }
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
          problems.push({
            file: shown,
            line: n + 1,
            column: 1,
            path: "",
            message: "expected one JSON object per line",
          });
          return [];
        }
        const event = value as Record<string, unknown>;
        const index = source.index ?? indexOf(event);
        if (!index) {
          problems.push({ file: shown, line: n + 1, column: 1, path: "event.dataset", message: NO_INDEX });
          return [];
        }
        return [{ id: `${basename(full)}:${n + 1}`, index, source: event }];
      });
  }
  const index = source.index ?? indexOf(source.event);
  if (!index) {
    at([...path, "event"], NO_INDEX);
    return [];
  }
  const id = `${basename(file)}#${dotPath(path)}`;
  if (!source.vary) return [{ id, index, source: source.event }];
  const series: [string, unknown[]][] = [];
  for (const [field, variation] of Object.entries(source.vary)) {
    const values = valuesOf(variation);
    if (!values) {
      at([...path, "vary", field], "a range from low to high, or a CIDR block of at most 65,536 addresses");
      return [];
    }
    series.push([field, values]);
  }
  const step = source.every ?? 0;
  const stamp = source.event["@timestamp"];
  const start = typeof stamp === "string" ? Date.parse(stamp) : Number.NaN;
  if (step > 0 && Number.isNaN(start)) {
    at([...path, "every"], 'stepping timestamps needs an "@timestamp" in the event');
    return [];
  }
  return product(series).map((assignment, k) => {
    const event = structuredClone(source.event);
    for (const [field, value] of Object.entries(assignment)) assign(event, field, value);
    if (step > 0) event["@timestamp"] = new Date(start + k * step).toISOString();
    return { id: `${id}[${k}]`, index, source: event };
  });
}

/** Sets a field where the template has it (a dotted key or nested objects), else as nested objects. */
function assign(event: Record<string, unknown>, field: string, value: unknown): void {
  if (field in event) {
    event[field] = value;
    return;
  }
  const parts = field.split(".");
  let target = event;
  for (const part of parts.slice(0, -1)) {
    const next = target[part];
    if (next === null || typeof next !== "object" || Array.isArray(next)) target[part] = {};
    target = target[part] as Record<string, unknown>;
  }
  target[parts.at(-1) ?? field] = value;
}

const NO_INDEX = 'expected event.dataset such as "scanproof.firewall" (it names the index), or an index: key';

/** The index the shipper writes a dataset to: scanproof.<source> → scanproof-<source>. */
function indexOf(event: Record<string, unknown>): string | undefined {
  const nested = event.event as Record<string, unknown> | undefined;
  const dataset = event["event.dataset"] ?? nested?.dataset;
  return typeof dataset === "string" && /^scanproof\.[a-z]+$/.test(dataset)
    ? dataset.replace(".", "-")
    : undefined;
}

function valuesOf(variation: z.output<typeof Variation>): unknown[] | undefined {
  if (Array.isArray(variation)) return variation;
  if (variation.includes("/")) {
    if (!ipaddr.isValidCIDR(variation)) return undefined;
    const [network, bits] = ipaddr.parseCIDR(variation);
    if (network.kind() !== "ipv4" || bits < 16) return undefined;
    const first = ipaddr.IPv4.networkAddressFromCIDR(variation)
      .toByteArray()
      .reduce((n, b) => n * 256 + b, 0);
    return Array.from({ length: 2 ** (32 - bits) }, (_, i) => {
      const n = first + i;
      return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
    });
  }
  const [low = 0, high = 0] = variation.split("-").map(Number);
  if (low > high || high - low >= 65_536) return undefined;
  return Array.from({ length: high - low + 1 }, (_, i) => low + i);
}

function product(series: readonly [string, unknown[]][]): Record<string, unknown>[] {
  return series.reduce<Record<string, unknown>[]>(
    (acc, [field, values]) => acc.flatMap((partial) => values.map((v) => ({ ...partial, [field]: v }))),
    [{}],
  );
}

function timestampOf(event: FixtureEvent, field: string): number | undefined {
  const direct = event.source[field];
  const nested = field
    .split(".")
    .reduce<unknown>(
      (o, k) => (o !== null && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined),
      event.source,
    );
  const value = direct ?? nested;
  const ms = typeof value === "string" ? Date.parse(value) : typeof value === "number" ? value : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
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
