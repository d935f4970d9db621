import { existsSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { formatIPv4, parseStrictCidr } from "../core/addresses.js";
import { z } from "zod";
import { displayName, readInputText } from "../core/input-files.js";
import { dotPath, InputError, type Problem } from "../core/problems.js";

import type { FixtureEvent } from "./memory-index.js";
import { parseDate } from "./field-values.js";

/** The events of a rule fixture case: inline, generated from a template with variations, or recorded JSONL. */

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

export const EventSource = z.union(
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

/**
 * The most events one case may hold, generated and recorded together: ten times the largest
 * shipped case (a recorded scan of 1,000 ports), far below what exhausts the memory of `rules test`.
 */
export const MAX_CASE_EVENTS = 100_000;

/**
 * The largest recorded JSONL file read: a recorded scan of all 65,536 ports at the ~700 bytes a
 * NetFlow event takes is about 46 MB.
 */
export const MAX_RECORDED_BYTES = 64 * 1024 * 1024;

/** The furthest JavaScript dates reach either side of the epoch, in milliseconds (100,000,000 days). */
const MAX_DATE_MS = 8.64e15;
export const DATE_RANGE = "-271821-04-20T00:00:00.000Z to +275760-09-13T00:00:00.000Z";

export const representable = (ms: number): boolean => Math.abs(ms) <= MAX_DATE_MS;

export type Report = (path: readonly PropertyKey[], message: string) => void;

/** What reading a case's event sources needs: where the fixture is, how to report, which fields hold times. */
export interface Reading {
  readonly fixturePath: string;
  readonly file: string;
  readonly at: Report;
  readonly problems: Problem[];
  readonly timeFields: readonly string[];
}

const count = (n: number): string => n.toLocaleString("en-US");

function tooMany(before: number, adding: number, what: string): string {
  const after = before > 0 ? ` after the ${count(before)} events before it` : "";
  const events = `${count(adding)} event${adding === 1 ? "" : "s"}`;
  return `${what} ${events}${after}; expected at most ${count(MAX_CASE_EVENTS)} events per case`;
}

/** The first value of a time field that is a date JavaScript cannot represent, as Elasticsearch reads dates. */
function unrepresentableTime(
  source: unknown,
  fields: readonly string[],
): { field: string; value: unknown } | undefined {
  for (const field of fields) {
    for (const value of valuesAt(source, field)) {
      const ms = parseDate(value, false);
      if (ms !== undefined && !representable(ms)) return { field, value };
    }
  }
  return undefined;
}

function timeProblem(value: unknown): string {
  return `${JSON.stringify(value)} is outside the dates JavaScript can represent; expected a date-time such as "2026-11-28T12:00:00Z" or epoch milliseconds within ${DATE_RANGE}`;
}

export function eventsOf(
  source: z.output<typeof EventSource>,
  path: readonly PropertyKey[],
  before: number,
  reading: Reading,
): FixtureEvent[] {
  const { fixturePath, file, at, problems, timeFields } = reading;
  if ("jsonl" in source) {
    const full = resolve(dirname(fixturePath), source.jsonl);
    if (!existsSync(full)) {
      at([...path, "jsonl"], `no such file ${displayName(full)}`);
      return [];
    }
    let recorded: { file: string; text: string };
    try {
      recorded = readInputText(full, MAX_RECORDED_BYTES);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(...error.problems);
      return [];
    }
    const { file: shown, text } = recorded;
    const lines = text.split("\n");
    const nonEmpty = lines.reduce((n, line) => (line.trim() === "" ? n : n + 1), 0);
    if (before + nonEmpty > MAX_CASE_EVENTS) {
      at([...path, "jsonl"], tooMany(before, nonEmpty, `${shown} holds`));
      return [];
    }
    const line = (n: number, where: string, message: string) =>
      problems.push({ file: shown, line: n + 1, column: 1, path: where, message });
    return lines.flatMap((text, n): FixtureEvent[] => {
      if (text.trim() === "") return [];
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        line(n, "", `expected one JSON object per line: ${(error as Error).message}`);
        return [];
      }
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        line(n, "", "expected one JSON object per line");
        return [];
      }
      const event = value as Record<string, unknown>;
      const index = source.index ?? indexOf(event);
      if (!index) {
        line(n, "event.dataset", NO_INDEX);
        return [];
      }
      const badTime = unrepresentableTime(event, timeFields);
      if (badTime !== undefined) {
        line(n, badTime.field, timeProblem(badTime.value));
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
  const badTime = unrepresentableTime(source.event, timeFields);
  if (badTime !== undefined) {
    at([...path, "event", ...fieldKeys(source.event, badTime.field)], timeProblem(badTime.value));
    return [];
  }
  const id = `${basename(file)}#${dotPath(path)}`;
  if (!source.vary) {
    if (before + 1 > MAX_CASE_EVENTS) {
      at([...path, "event"], tooMany(before, 1, "the event makes"));
      return [];
    }
    return [{ id, index, source: source.event }];
  }
  const sizes: [string, number][] = [];
  for (const [field, variation] of Object.entries(source.vary)) {
    const size = sizeOf(variation);
    if (size === undefined) {
      at([...path, "vary", field], "a range from low to high, or a CIDR block of at most 65,536 addresses");
      return [];
    }
    sizes.push([field, size]);
  }
  const total = sizes.reduce((n, [, size]) => n * size, 1);
  if (before + total > MAX_CASE_EVENTS) {
    at(
      [...path, "vary"],
      tooMany(before, total, `${sizes.map(([field, size]) => `${count(size)} ${field}`).join(" × ")} make`),
    );
    return [];
  }
  const step = source.every ?? 0;
  const stamp = source.event["@timestamp"];
  const start = parseDate(stamp, false);
  if (step > 0 && start === undefined) {
    at([...path, "every"], 'stepping timestamps needs an "@timestamp" in the event');
    return [];
  }
  const series: [string, unknown[]][] = [];
  for (const [field, variation] of Object.entries(source.vary)) {
    const values = valuesOf(variation);
    const badTime = timeFields.includes(field)
      ? unrepresentableTime({ [field]: values }, [field])
      : undefined;
    if (badTime !== undefined) {
      at([...path, "vary", field], timeProblem(badTime.value));
      return [];
    }
    series.push([field, values]);
  }
  const timeAt = (k: number): number => (k === 0 ? (start ?? 0) : (start ?? 0) + k * step);
  if (step > 0 && !representable(timeAt(total - 1))) {
    at(
      [...path, "every"],
      `stepping ${count(total)} events by this duration from ${new Date(start ?? 0).toISOString()} passes the last date JavaScript can represent; expected a step that keeps every timestamp within ${DATE_RANGE}`,
    );
    return [];
  }
  return product(series).map((assignment, k) => {
    const event = structuredClone(source.event);
    for (const [field, value] of Object.entries(assignment)) assign(event, field, value);
    if (step > 0) event["@timestamp"] = new Date(timeAt(k)).toISOString();
    return { id: `${id}[${k}]`, index, source: event };
  });
}

/** The keys leading to a field in an event: its dotted key where it has one, else nested objects. */
function fieldKeys(event: Record<string, unknown>, field: string): string[] {
  return field in event ? [field] : field.split(".");
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

/** How many values a variation gives, without listing them; undefined when it is no valid one. */
function sizeOf(variation: z.output<typeof Variation>): number | undefined {
  if (Array.isArray(variation)) return variation.length;
  if (variation.includes("/")) {
    const cidr = parseStrictCidr(variation);
    return cidr.ok && cidr.value.prefix >= 16 ? 2 ** (32 - cidr.value.prefix) : undefined;
  }
  const [low = 0, high = 0] = variation.split("-").map(Number);
  return low > high || high - low >= 65_536 ? undefined : high - low + 1;
}

/** The values of a variation sizeOf accepted. */
function valuesOf(variation: z.output<typeof Variation>): unknown[] {
  if (Array.isArray(variation)) return variation;
  const size = sizeOf(variation) ?? 0;
  if (variation.includes("/")) {
    const cidr = parseStrictCidr(variation);
    const first = cidr.ok ? cidr.value.network : 0;
    return Array.from({ length: size }, (_, i) => formatIPv4(first + i));
  }
  const low = Number(variation.split("-")[0]);
  return Array.from({ length: size }, (_, i) => low + i);
}

function product(series: readonly [string, unknown[]][]): Record<string, unknown>[] {
  return series.reduce<Record<string, unknown>[]>(
    (acc, [field, values]) => acc.flatMap((partial) => values.map((v) => ({ ...partial, [field]: v }))),
    [{}],
  );
}

/**
 * Every value at a dotted field path of a _source, the way the in-memory engine flattens it: dotted
 * keys, nested objects and arrays alike.
 */

export function valuesAt(value: unknown, field: string, prefix = ""): unknown[] {
  if (Array.isArray(value)) return value.flatMap((v) => valuesAt(v, field, prefix));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, v]) => {
      const at = prefix ? `${prefix}.${key}` : key;
      return at === field || field.startsWith(`${at}.`) ? valuesAt(v, field, at) : [];
    });
  }
  return prefix === field ? [value] : [];
}
