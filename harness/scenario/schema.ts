import { z } from "zod";
import { LOG_SOURCES, SENSORS, TIERS } from "../core/vocabulary.js";

const name = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,30}$/, "a lower-case name of letters, digits and dashes, starting with a letter");

export const TARGET_KINDS = ["web", "ssh", "dns"] as const;
/**
 * What an extra traffic source is for. Attackers and scanners may send raw packets (nmap's SYN scans,
 * masscan); clients and monitors make ordinary connections only, as a user's machine would.
 */
export const HOST_ROLES = ["attacker", "client", "monitor", "scanner"] as const;
/** outside: an external address; lan: the internal network behind the firewall; nat: behind a NAT router outside. */
export const HOST_NETWORKS = ["outside", "lan", "nat"] as const;

const Target = z
  .strictObject({
    name: name.describe("how steps and expectations name this target"),
    kind: z
      .enum(TARGET_KINDS)
      .describe("web: nginx on 80/tcp; ssh: OpenSSH on 22/tcp; dns: unbound on 53/udp+tcp"),
    address: z.ipv4().optional().describe("an address in the DMZ 10.20.0.0/24 (default: 10.20.0.10, .11, …)"),
  })
  .describe("a DMZ server behind the firewall");

const Host = z
  .strictObject({
    name: name.describe("what steps name in `from`"),
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
  })
  .describe("an extra traffic source, built from the attacker image");

const NmapStep = z.strictObject({
  tool: z.literal("nmap"),
  from: name.default("attacker"),
  target: z.string().min(1),
  args: z.array(z.string()).default([]),
});

const HttpStep = z.strictObject({
  tool: z.literal("http"),
  from: name.default("attacker"),
  target: z.string().min(1),
  paths: z.array(z.string().startsWith("/")).min(1),
  repeat: z.number().int().min(1).max(100).default(1),
});

/** masscan's port list: single ports and ranges, comma-separated, such as "1-1024,8080". */
const PORT_LIST = /^\d{1,5}(-\d{1,5})?(,\d{1,5}(-\d{1,5})?)*$/;
const MAX_PORT = 65_535;

/**
 * The distinct ports of a port list, ascending; undefined unless the list has the right form, every
 * port is 1–65535 and every range runs from low to high.
 */
export function expandPortSpec(spec: string): number[] | undefined {
  if (!PORT_LIST.test(spec)) return undefined;
  const ports = new Set<number>();
  for (const part of spec.split(",")) {
    const [low = 0, high = low] = part.split("-").map(Number);
    if (low < 1 || high > MAX_PORT || low > high) return undefined;
    for (let port = low; port <= high; port++) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

const MasscanStep = z.strictObject({
  tool: z.literal("masscan"),
  from: name.default("attacker"),
  target: z.string().min(1),
  ports: z
    .string()
    .regex(PORT_LIST, { error: 'a port list such as "1-1024,8080"', abort: true })
    .refine(
      (spec) => expandPortSpec(spec) !== undefined,
      "ports between 1 and 65535, ranges from low to high",
    ),
  rate: z.number().int().min(1).max(100_000).default(1000),
});

export const WORDLISTS = { "web-paths": "web-paths.txt", "dns-names": "dns-names.txt" } as const;
const domain = z
  .string()
  .regex(/^(?!-)[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+$/, "a domain name such as lab.example");

const WebWordlistStep = z.strictObject({
  tool: z.literal("ffuf"),
  from: name.default("attacker"),
  target: z.string().min(1),
  wordlist: z.literal("web-paths").default("web-paths"),
  /** ffuf 1.1 loses results when threads race, so its report is only complete with one. */
  threads: z.number().int().min(1).max(40).default(1),
});

const DnsWordlistStep = z.strictObject({
  tool: z.literal("gobuster-dns"),
  from: name.default("attacker"),
  server: z.string().min(1),
  domain,
  wordlist: z.literal("dns-names").default("dns-names"),
});

const AxfrStep = z.strictObject({
  tool: z.literal("axfr"),
  from: name.default("attacker"),
  server: z.string().min(1),
  domain,
});

const NiktoStep = z
  .strictObject({
    tool: z.literal("nikto"),
    from: name.default("attacker"),
    target: z.string().min(1).describe("a web target: nikto tests http://<target>/"),
    maxtime: z
      .number()
      .int()
      .min(5)
      .max(1800)
      .default(120)
      .describe("seconds nikto may test the host before it stops (-maxtime)"),
  })
  .describe("nikto's web vulnerability scan (T1595.002); every request it reports is checked in the web log");

const ContainStep = z
  .strictObject({
    tool: z.literal("contain"),
    source: name.default("attacker").describe("the traffic source (attacker or a lab host) to contain"),
  })
  .describe(
    "the playbook's containment: when the source's alerts so far reach Tier 2, block it at the lab firewall and put it on the IDS block list",
  );

export const Step = z.discriminatedUnion("tool", [
  NmapStep,
  MasscanStep,
  HttpStep,
  WebWordlistStep,
  DnsWordlistStep,
  AxfrStep,
  NiktoStep,
  ContainStep,
]);

const duration = z
  .string()
  .regex(/^\d+(ms|s|m)$/, "a duration such as 500ms, 30s or 2m")
  .transform((v) => {
    const n = Number.parseInt(v, 10);
    return v.endsWith("ms") ? n : v.endsWith("m") ? n * 60_000 : n * 1000;
  });

const cveId = z.string().regex(/^CVE-\d{4}-\d{4,}$/, 'a CVE id such as "CVE-2024-6387"');

const AlertExpectation = z
  .strictObject({
    rule: z.string().min(1).describe("the rule's rule_id or name"),
    from: z
      .union([name, z.ipv4()], {
        error:
          "a lab host name, or the IPv4 address of a source that is no lab host (a decoy, a spoofed source)",
      })
      .default("attacker")
      .describe(
        "the lab host (or, for a decoy or spoofed source, the address) the alert's source.ip must be",
      ),
    count: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe("exactly this many alerts of the rule for that source"),
    tier: z.enum(TIERS).optional().describe("the escalation tier every matching alert must get"),
    reasons: z.array(z.string()).default([]).describe("escalation reason codes that must all be present"),
    within: duration
      .optional()
      .describe("maximum time from the end of the last step until the alert is searchable"),
    enrichment: z
      .strictObject({
        reputation: z
          .enum(["malicious", "suspicious", "benign", "unknown"])
          .optional()
          .describe("the verdict of the local intel file"),
        seen_before: z
          .boolean()
          .optional()
          .describe("whether the source had events before the rule's look-back"),
        patterns: z
          .array(z.string().min(1))
          .default([])
          .describe("known scanning patterns that must all match"),
        cves: z.array(cveId).default([]).describe("known CVEs of the targeted services (asset inventory)"),
        advisories: z.array(cveId).default([]).describe("recent advisories that must be attached"),
        exploit_signatures: z
          .array(z.number().int().min(1))
          .default([])
          .describe("IDS signature ids that must be linked as exploit attempts after the scan"),
        next_action: z
          .enum(["none", "triage", "investigate", "block"])
          .optional()
          .describe("the recommended next action"),
      })
      .optional()
      .describe("what escalation's enrichment must have found for every matching alert"),
  })
  .describe("a rule that must fire");

const ContainmentExpectation = z
  .strictObject({
    source: name.default("attacker").describe("the contained traffic source"),
    blocked: z.boolean().default(true).describe("a contain step blocked it (its alerts reached Tier 2)"),
    denied: z
      .boolean()
      .default(true)
      .describe(
        "the firewall denied and logged as denied everything it sent after the block, at least one event",
      ),
    ids_flagged: z
      .boolean()
      .default(false)
      .describe("the IDS raised its block-list signature (9101001) for it after the block"),
  })
  .describe("the outcome of the scenario's contain step");

export const ScenarioSchema = z.strictObject({
  id: name,
  title: z.string().min(1),
  description: z.string().default(""),
  technique: z.string().regex(/^T1595(\.00[123])?$/, "T1595, T1595.001, T1595.002 or T1595.003"),
  tags: z.array(z.string()).default([]),
  context: z
    .string()
    .min(1)
    .optional()
    .describe(
      "an escalation context for this scenario only, relative to the scenario file (default: the run's)",
    ),
  lab: z.strictObject({
    targets: z.array(Target).min(1),
    hosts: z.array(Host).default([]),
    sensors: z.array(z.enum(SENSORS)).default([]),
  }),
  steps: z.array(Step).min(1),
  expect: z.strictObject({
    logs: z
      .array(z.enum(LOG_SOURCES))
      .default([])
      .describe("sources that must hold every event the tools caused, with every record indexed"),
    ids_signatures: z
      .array(z.number().int().min(1))
      .default([])
      .describe("Suricata signature ids the IDS must raise"),
    alerts: z
      .array(AlertExpectation)
      .default([])
      .describe(
        "every rule that must fire: an alert not listed fails the scenario; a scenario listing none must set silent: true",
      ),
    absent: z
      .array(z.string().min(1))
      .default([])
      .describe("rules (rule_id or name) that must not fire for any source"),
    silent: z
      .boolean()
      .default(false)
      .describe("no rule may fire at all (benign traffic); required when alerts lists none"),
    containment: ContainmentExpectation.optional(),
  }),
});

export type ScenarioSpec = z.output<typeof ScenarioSchema>;
export type StepSpec = z.output<typeof Step>;
export type NmapStepSpec = Extract<StepSpec, { tool: "nmap" }>;
export type MasscanStepSpec = Extract<StepSpec, { tool: "masscan" }>;
export type HttpStepSpec = Extract<StepSpec, { tool: "http" }>;
export type WebWordlistStepSpec = Extract<StepSpec, { tool: "ffuf" }>;
export type NiktoStepSpec = Extract<StepSpec, { tool: "nikto" }>;
export type DnsWordlistStepSpec = Extract<StepSpec, { tool: "gobuster-dns" }>;
export type AxfrStepSpec = Extract<StepSpec, { tool: "axfr" }>;
export type ContainStepSpec = Extract<StepSpec, { tool: "contain" }>;
export type TargetSpec = ScenarioSpec["lab"]["targets"][number];
export type HostSpec = ScenarioSpec["lab"]["hosts"][number];
export type AlertExpectationSpec = ScenarioSpec["expect"]["alerts"][number];
