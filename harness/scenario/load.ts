import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseYamlInput, readInputText } from "../core/input-files.js";
import { dotPath, InputError, locate, zodProblems, type Anchor, type Problem } from "../core/problems.js";
import ipaddr from "ipaddr.js";
import { RESERVED_HOST_NUMBERS, RESERVED_NAMES, SEGMENTS, type SegmentName } from "../lab/segments.js";
import { SENSORS } from "../core/vocabulary.js";
import type { TargetSpec } from "../lab/spec.js";
import { SOURCE_BY_KIND } from "../lab/target-kinds.js";
import { ScenarioSchema, type ScenarioSpec } from "./schema.js";

export interface Scenario extends ScenarioSpec {
  readonly file: string;
  /** The scenario's own escalation context (`context`), resolved against the scenario's folder. */
  readonly contextFile?: string;
}

/** Parses and validates one scenario file; every problem is reported at once, nothing is started. */
/** A check the scenario layer cannot make itself (the scope guard lives above it): located problems. */
export type ScenarioCheck = (spec: ScenarioSpec) => CrossProblem[];

export function loadScenario(path: string, checks: readonly ScenarioCheck[] = []): Scenario {
  const { file, text } = readInputText(path);
  const { doc, lines, value } = parseYamlInput(file, text);
  const parsed = ScenarioSchema.safeParse(value);
  if (!parsed.success)
    throw new InputError(
      zodProblems(file, parsed.error.issues, (p, anchor) => locate(doc, lines, p, anchor)),
    );
  const spec = parsed.data;
  const contextFile = spec.context === undefined ? undefined : resolve(dirname(path), spec.context);
  const cross = crossCheck(spec);
  const lab = {
    ...spec.lab,
    targets: spec.lab.targets.map((t, i) => resolveBuild(t, dirname(path), i, cross)),
  };
  if (cross.length === 0) for (const check of checks) cross.push(...check(spec));
  if (contextFile !== undefined && !existsSync(contextFile))
    cross.push({ path: ["context"], message: `${spec.context} does not exist (relative to this file)` });
  const hosts = spec.lab.hosts.map((h, i) => {
    if (h.build === undefined) return h;
    const dockerfile = resolve(dirname(path), h.build);
    if (!existsSync(dockerfile) || !statSync(dockerfile).isFile())
      cross.push({
        path: ["lab", "hosts", i, "build"],
        message: `${h.build} is no Dockerfile (relative to this file, it is ${dockerfile}); expected the path of the Dockerfile to build this host's image from`,
      });
    return { ...h, build: dockerfile };
  });
  cross.push(...claimCheck(spec));
  const problems = cross.map(
    (c): Problem => ({
      file,
      ...locate(doc, lines, c.path, c.anchor),
      path: dotPath(c.path),
      message: c.message,
    }),
  );
  if (problems.length > 0) throw new InputError(problems);
  return { ...spec, lab: { ...lab, hosts }, file, ...(contextFile === undefined ? {} : { contextFile }) };
}

/** A custom target's Dockerfile, resolved against the scenario's folder; a problem when it is not a file. */
function resolveBuild(target: TargetSpec, dir: string, i: number, problems: CrossProblem[]): TargetSpec {
  if (target.kind !== "custom") return target;
  const dockerfile = resolve(dir, target.build);
  if (!existsSync(dockerfile) || !statSync(dockerfile).isFile())
    problems.push({
      path: ["lab", "targets", i, "build"],
      message: `${target.build} is not a Dockerfile (${dockerfile} ${existsSync(dockerfile) ? "is not a file" : "does not exist"}; the path is relative to this file)`,
    });
  return { ...target, build: dockerfile };
}

/** Where a path points in a scenario file that loaded before: for problems found after loading. */
export function locateInScenario(
  file: string,
  path: readonly PropertyKey[],
): { line: number; column: number } {
  const { doc, lines } = parseYamlInput(file, readInputText(file).text);
  return locate(doc, lines, path);
}

export interface CrossProblem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  /** Where on the path the problem is shown: its value (the default) or the key naming it. */
  readonly anchor?: Anchor;
}

/**
 * A scenario says what its traffic sets off: the alerts that must fire, or `silent: true`. One that
 * lists no alert and is not silent would pass whatever fires, so it claims nothing about detection.
 */
function claimCheck(spec: ScenarioSpec): CrossProblem[] {
  if (spec.expect.alerts.length > 0 || spec.expect.silent) return [];
  return [
    {
      path: ["expect"],
      anchor: "key",
      message:
        "lists no alert and is not silent: list in expect.alerts the alerts that must fire, or set `silent: true` if no rule may fire",
    },
  ];
}

/** Rules that span fields: names are unique, addresses fit their networks, steps start from a traffic source. */
function crossCheck(spec: ScenarioSpec): CrossProblem[] {
  const problems: CrossProblem[] = [];
  const taken = new Set<string>(RESERVED_NAMES);
  const claim = (name: string, path: PropertyKey[]) => {
    if (taken.has(name)) problems.push({ path, message: `"${name}" is already taken in this lab` });
    taken.add(name);
  };
  spec.lab.targets.forEach((t, i) => {
    claim(t.name, ["lab", "targets", i, "name"]);
    if (t.address !== undefined)
      checkAddress(t.address, t.network, ["lab", "targets", i, "address"], problems);
  });
  spec.lab.hosts.forEach((h, i) => {
    claim(h.name, ["lab", "hosts", i, "name"]);
    if (h.address !== undefined) checkAddress(h.address, h.network, ["lab", "hosts", i, "address"], problems);
  });
  const placed = [
    ...spec.lab.targets.map((t, i) => ({ address: t.address, path: ["lab", "targets", i, "address"] })),
    ...spec.lab.hosts.map((h, i) => ({ address: h.address, path: ["lab", "hosts", i, "address"] })),
  ];
  const owners = new Set<string>();
  for (const { address, path } of placed) {
    if (address === undefined) continue;
    if (owners.has(address)) problems.push({ path, message: `${address} is given to another host too` });
    owners.add(address);
  }
  const senders = new Set(["attacker", ...spec.lab.hosts.map((h) => h.name)]);
  const sentSteps = [
    ...spec.history.flatMap((entry, h) =>
      entry.steps.map((step, i) => ({ step, path: ["history", h, "steps", i] as PropertyKey[] })),
    ),
    ...spec.steps.map((step, i) => ({ step, path: ["steps", i] as PropertyKey[] })),
  ];
  for (const { step, path } of sentSteps)
    if ("from" in step && !senders.has(step.from))
      problems.push({
        path: [...path, "from"],
        message: `"${step.from}" cannot send traffic; use one of ${[...senders].map((s) => `"${s}"`).join(", ")}`,
      });
  spec.expect.alerts.forEach((alert, i) => {
    if (ipaddr.IPv4.isValidFourPartDecimal(alert.from)) return;
    if (!taken.has(alert.from) || alert.from === "firewall") {
      problems.push({
        path: ["expect", "alerts", i, "from"],
        message: `"${alert.from}" is not a host of this lab (${[...senders, ...spec.lab.targets.map((t) => t.name)].join(", ")})`,
      });
    }
  });
  const written = new Set<string>(
    spec.lab.targets.flatMap((t) => {
      const source = t.kind === "custom" ? undefined : SOURCE_BY_KIND[t.kind];
      return source ? [source] : [];
    }),
  );
  const sensors = new Set<string>(spec.lab.sensors);
  spec.expect.logs.forEach((source, i) => {
    const isSensor = (SENSORS as readonly string[]).includes(source);
    if (source === "firewall" || (isSensor ? sensors.has(source) : written.has(source))) return;
    const writers = Object.entries(SOURCE_BY_KIND).flatMap(([kind, s]) => (s === source ? [kind] : []));
    const how = isSensor ? `add "${source}" to lab.sensors` : `add a target of kind ${writers.join(" or ")}`;
    problems.push({ path: ["expect", "logs", i], message: `this lab has no ${source} log: ${how}` });
  });
  if (spec.expect.ids_signatures.length > 0 && !sensors.has("ids")) {
    problems.push({
      path: ["expect", "ids_signatures"],
      message: 'IDS signatures need the IDS: add "ids" to lab.sensors',
    });
  }
  const wanted = new Set(spec.expect.alerts.map((a) => a.rule));
  spec.expect.absent.forEach((rule, i) => {
    if (wanted.has(rule))
      problems.push({
        path: ["expect", "absent", i],
        message: `"${rule}" is also expected to fire in expect.alerts`,
      });
  });
  const contains = spec.steps.flatMap((step, i) => (step.tool === "contain" ? [{ step, i }] : []));
  for (const { step, i } of contains) {
    if (!senders.has(step.source))
      problems.push({
        path: ["steps", i, "source"],
        message: `"${step.source}" sends no traffic to contain; use one of ${[...senders].map((s) => `"${s}"`).join(", ")}`,
      });
  }
  const containment = spec.expect.containment;
  if (containment && contains.length === 0)
    problems.push({
      path: ["expect", "containment"],
      message: "containment needs a step `tool: contain` before the scans it should stop",
    });
  if (containment && !senders.has(containment.source))
    problems.push({
      path: ["expect", "containment", "source"],
      message: `"${containment.source}" is not a traffic source of this lab`,
    });
  if (containment?.ids_flagged && !sensors.has("ids"))
    problems.push({
      path: ["expect", "containment", "ids_flagged"],
      message: 'the IDS block list needs the IDS: add "ids" to lab.sensors',
    });
  if (spec.expect.silent && spec.expect.alerts.length > 0) {
    problems.push({ path: ["expect", "silent"], message: "a silent scenario cannot also expect alerts" });
  }
  return problems;
}

function checkAddress(
  address: string,
  network: SegmentName,
  path: PropertyKey[],
  problems: CrossProblem[],
): void {
  const seg = SEGMENTS[network];
  const [base, bits] = ipaddr.parseCIDR(seg.subnet);
  const parsed = ipaddr.IPv4.parse(address);
  const host = parsed.octets[3] ?? 0;
  if (!parsed.match(base, bits)) {
    problems.push({ path, message: `${address} is not in the ${network} network ${seg.subnet}` });
  } else if (host === 0 || host === 255 || RESERVED_HOST_NUMBERS[network].includes(host)) {
    problems.push({
      path,
      message: `${address} is reserved in the ${network} network (routers, the attacker, masscan's waker, network and broadcast)`,
    });
  }
}
