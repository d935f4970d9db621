import { z } from "zod";
import { BUILTIN_KIND_NAMES, BUILTIN_KINDS, type BuiltinKind } from "./target-kinds.js";

/** The lab a scenario describes: its targets and its extra traffic sources. */

export const labName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,30}$/, "a lower-case name of letters, digits and dashes, starting with a letter");

/**
 * What an extra traffic source is for. Attackers and scanners may send raw packets (nmap's SYN scans,
 * masscan); clients and monitors make ordinary connections only, as a user's machine would.
 */
const HOST_ROLES = ["attacker", "client", "monitor", "scanner"] as const;
/** outside: an external address; lan: the internal network behind the firewall; nat: behind a NAT router outside. */
const HOST_NETWORKS = ["outside", "lan", "nat"] as const;
/** Where a target sits behind the firewall. */
export const TARGET_NETWORKS = ["dmz", "lan"] as const;

const portNumber = z.number().int().min(1).max(65_535);

const PORT_TRANSPORT = 'a port and transport such as "8080/tcp" or "161/udp" (ports 1–65535)';

/** A port and transport such as "8080/tcp" or "161/udp". */
export const portTransport = z.string({ error: PORT_TRANSPORT }).transform((text, ctx) => {
  const match = /^([1-9]\d{0,4})\/(tcp|udp)$/.exec(text);
  const port = Number(match?.[1]);
  if (!match || port > 65_535) {
    ctx.addIssue({ code: "custom", message: PORT_TRANSPORT });
    return z.NEVER;
  }
  return { port, transport: match[2] as "tcp" | "udp" };
});
export type PortTransport = z.output<typeof portTransport>;

const placement = {
  name: labName.describe("how steps and expectations name this target"),
  network: z
    .enum(TARGET_NETWORKS)
    .default("dmz")
    .describe("dmz: 10.20.0.0/24 (default); lan: 10.30.0.0/24, the internal network"),
  address: z
    .ipv4()
    .optional()
    .describe("an address in the target's network (default: the next free one, from .10)"),
  filtered: z
    .array(portTransport)
    .default([])
    .describe(
      'ports the target drops every packet to without an answer, as a host firewall would ("8443/tcp"): scans see them filtered',
    ),
};

const BuiltinTargetSchema = z.strictObject({
  ...placement,
  kind: z.enum(BUILTIN_KIND_NAMES).describe(
    Object.entries(BUILTIN_KINDS)
      .map(([kind, k]) => `${kind}: ${k.what}`)
      .join("; "),
  ),
  ports: z
    .record(z.string().regex(/^[1-9]\d{0,4}$/, "a port the kind serves, such as 22"), portNumber)
    .default({})
    .describe("moves a service to another port: its default port → the port it listens on (`22: 2222`)"),
});

const ReadySchema = z.union([
  z.strictObject({ port: portTransport.describe("a port that must be listening") }),
  z.strictObject({
    command: z
      .array(z.string().min(1))
      .min(1)
      .describe("an argv run in the target (no shell) that exits 0 once it is ready"),
  }),
]);

const BuiltTargetSchema = z.strictObject({
  ...placement,
  kind: z.literal("custom").describe("custom: your own image, built from `build`"),
  build: z
    .string()
    .min(1)
    .describe(
      "the Dockerfile to build the target from, relative to the scenario file; its folder is the build context",
    ),
  ports: z
    .array(portTransport)
    .min(1)
    .describe('every port the image serves ("8080/tcp", "161/udp"): its services in the asset inventory'),
  ready: ReadySchema.optional().describe(
    "when the target is ready: `port:` listening, or `command:` exiting 0 (default: every served port listening)",
  ),
  criticality: z
    .enum(["critical", "high", "medium", "low"])
    .default("medium")
    .describe("its criticality in the asset inventory, unless the escalation context lists it"),
});

export const TargetSchema = z
  .discriminatedUnion("kind", [BuiltinTargetSchema, BuiltTargetSchema], {
    error: () =>
      `a target kind: ${BUILTIN_KIND_NAMES.map((k) => `"${k}"`).join(", ")}, or "custom" (your own image, with \`build\`)`,
  })
  .superRefine((t, ctx) => {
    const served = t.kind === "custom" ? t.ports : defaultServices(t.kind, t.ports);
    if (t.kind !== "custom") {
      const defaults = new Set<number>(BUILTIN_KINDS[t.kind].services.map((s) => s.port));
      for (const from of Object.keys(t.ports))
        if (!defaults.has(Number(from)))
          ctx.addIssue({
            code: "custom",
            path: ["ports", from],
            message: `${t.kind} serves no port ${from}; it serves ${[...defaults].join(", ")}`,
          });
    }
    const seen = new Set<string>();
    served.forEach((s, i) => {
      const key = `${s.port}/${s.transport}`;
      if (seen.has(key))
        ctx.addIssue({
          code: "custom",
          path: t.kind === "custom" ? ["ports", i] : ["ports"],
          message: `${key} is served twice`,
        });
      seen.add(key);
    });
    t.filtered.forEach((f, i) => {
      if (t.filtered.findIndex((g) => g.port === f.port && g.transport === f.transport) !== i)
        ctx.addIssue({
          code: "custom",
          path: ["filtered", i],
          message: `${f.port}/${f.transport} is listed twice`,
        });
    });
  })
  .describe("a server behind the firewall: a built-in kind, or your own image");

export const HostSchema = z
  .strictObject({
    name: labName.describe("what steps name in `from`"),
    role: z
      .enum(HOST_ROLES)
      .describe(
        "attacker and scanner may send raw packets; client and monitor make ordinary connections only",
      ),
    network: z
      .enum(HOST_NETWORKS)
      .default("outside")
      .describe(
        "outside: 198.18.0.0/24 (external); lan: 10.30.0.0/24 (internal, RFC 1918, routed through the firewall); nat: 192.168.50.0/24 behind a NAT router, seen as 198.18.0.2",
      ),
    address: z.ipv4().optional().describe("an address in the host's network (default: the next free one)"),
    build: z
      .string()
      .min(1)
      .optional()
      .describe(
        "a Dockerfile, relative to the scenario file, to build this host's image from (its folder is the context; it needs sleep and timeout, as Debian's coreutils has) instead of the attacker image",
      ),
  })
  .describe("an extra traffic source, built from the attacker image or from its own Dockerfile");

/** A built-in kind's services where its `ports:` moves put them. */
export function defaultServices(kind: BuiltinKind, moves: Readonly<Record<string, number>>): PortTransport[] {
  return BUILTIN_KINDS[kind].services.map((s) => ({
    port: moves[String(s.port)] ?? s.port,
    transport: s.transport,
  }));
}

export type TargetSpec = z.output<typeof TargetSchema>;
export type BuiltTargetSpec = Extract<TargetSpec, { kind: "custom" }>;
type BuiltinTargetSpec = Exclude<TargetSpec, { kind: "custom" }>;
type WithDefaults<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
/** A target as a lab can be planned from: a loaded one, or one written in code without the defaults. */
export type LabTarget =
  | WithDefaults<BuiltinTargetSpec, "network" | "filtered" | "ports">
  | WithDefaults<BuiltTargetSpec, "network" | "filtered" | "criticality">;
export type HostSpec = z.output<typeof HostSchema>;
