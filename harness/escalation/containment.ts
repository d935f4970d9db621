import type { estypes } from "@elastic/elasticsearch";
import type { Backend } from "../backend/backend.js";
import { SOURCE_INDEX } from "../backend/templates.js";
import { ScanproofError } from "../core/errors.js";
import type { StartedLab } from "../lab/started-lab.js";
import type { Tier } from "../core/vocabulary.js";
import type { Reason } from "./enrichment.js";

/** The lab firewall's block list (containers/firewall/ruleset.nft) and the IDS's (dataset). */
const FIREWALL_BLOCKLIST = ["inet", "scanproof", "blocklist"] as const;
const IDS_BLOCKLIST = "scanproof-blocklist";
/** The IDS signature that flags a block-listed source (containers/ids/rules/scanproof-escalation.rules). */
export const BLOCKLIST_SIGNATURE = "9101001";

/** What one contain step decided and did, and — once the run's events are in — what followed. */
export interface ContainmentRecord {
  readonly step: number;
  readonly source: string;
  readonly at: string;
  /** The highest tier among the source's alerts when the step ran ("none": no alert yet). */
  readonly tier: Tier | "none";
  readonly alerts: readonly string[];
  readonly blocked: boolean;
  readonly reason: string;
  /** The commands that applied the block, as run. */
  readonly commands: readonly string[];
  readonly verification?: ContainmentVerification;
}

/** The source's traffic after the block, as the firewall and the IDS recorded it. */
export interface ContainmentVerification {
  readonly allowedAfter: number;
  readonly deniedAfter: number;
  readonly firstDenied?: string;
  readonly idsFlags: number;
}

const TIER_ORDER: readonly (Tier | "none")[] = ["none", "suppressed", "l1", "tier2"];

/** What containment reads of an alert: which alert, whose, and how far it escalated. */
export interface SourceAlert {
  readonly id: string;
  readonly source?: string;
  readonly tier: Tier;
  readonly reasons: readonly Pick<Reason, "code">[];
}

/**
 * The playbook's containment: when the source's alerts reach Tier 2, block it at the lab firewall
 * (nftables set, logged as denied) and add it to the IDS block list (Suricata dataset). Below Tier 2
 * nothing is changed, and the record says why.
 */
export async function contain(
  lab: StartedLab,
  step: number,
  source: string,
  alerts: readonly SourceAlert[],
): Promise<ContainmentRecord> {
  const mine = alerts.filter((a) => a.source === source);
  const tier = mine.reduce<Tier | "none">(
    (top, a) => (TIER_ORDER.indexOf(a.tier) > TIER_ORDER.indexOf(top) ? a.tier : top),
    "none",
  );
  const base = { step, source, tier, alerts: mine.map((a) => a.id) };
  if (tier !== "tier2")
    return {
      ...base,
      at: new Date().toISOString(),
      blocked: false,
      reason:
        tier === "none"
          ? `no alert for ${source} yet: nothing to contain`
          : `the highest tier for ${source} is ${tier}: the playbook contains at Tier 2 only`,
      commands: [],
    };
  const nft = ["nft", "add", "element", ...FIREWALL_BLOCKLIST, `{ ${source} }`];
  await run(lab, lab.firewall, nft, "block the source at the firewall");
  const commands = [nft.join(" ")];
  if (lab.ids) {
    const sc = ["suricatasc", "-c", `dataset-add ${IDS_BLOCKLIST} ip ${source}`];
    const reply = await run(lab, lab.ids, sc, "add the source to the IDS block list");
    if (!reply.includes('"return": "OK"'))
      throw new ScanproofError(`The IDS refused the block list entry for ${source}: ${reply.trim()}`);
    commands.push(sc.map((a) => (a.includes(" ") ? `"${a}"` : a)).join(" "));
  }
  const reasons = [
    ...new Set(mine.filter((a) => a.tier === "tier2").flatMap((a) => a.reasons.map((r) => r.code))),
  ];
  return {
    ...base,
    at: new Date().toISOString(),
    blocked: true,
    reason: `Tier 2 (${reasons.join(", ")}): ${source} blocked at the firewall${lab.ids ? " and on the IDS block list" : ""}`,
    commands,
  };
}

async function run(
  lab: StartedLab,
  host: StartedLab["firewall"],
  command: readonly string[],
  what: string,
): Promise<string> {
  const result = await lab.exec(host, command);
  if (result.exitCode !== 0)
    throw new ScanproofError(
      `Could not ${what}: \`${command.join(" ")}\` in ${host.name} exited ${result.exitCode}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  return result.stdout;
}

/** Counts the source's firewall events after the block by decision, and the IDS's block-list alerts. */
export async function verifyContainment(
  backend: Backend,
  scope: readonly estypes.QueryDslQueryContainer[],
  record: ContainmentRecord,
): Promise<ContainmentVerification> {
  const after: estypes.QueryDslQueryContainer[] = [
    { term: { "source.ip": record.source } },
    { range: { "@timestamp": { gte: record.at } } },
    ...scope,
  ];
  const firewall = await backend.client.search({
    index: SOURCE_INDEX.firewall,
    size: 0,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: { bool: { filter: after } },
    aggs: {
      denied: {
        filter: { term: { "event.type": "denied" } },
        aggs: { first: { min: { field: "@timestamp" } } },
      },
      allowed: { filter: { term: { "event.type": "allowed" } } },
    },
  });
  const ids = await backend.client.count({
    index: SOURCE_INDEX.ids,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: { bool: { filter: [...after, { term: { "rule.id": BLOCKLIST_SIGNATURE } }] } },
  });
  const denied = firewall.aggregations?.denied as
    | (estypes.AggregationsFilterAggregate & { first: estypes.AggregationsMinAggregate })
    | undefined;
  const allowed = firewall.aggregations?.allowed as estypes.AggregationsFilterAggregate | undefined;
  const first = denied?.first.value;
  return {
    allowedAfter: allowed?.doc_count ?? 0,
    deniedAfter: denied?.doc_count ?? 0,
    ...(first === null || first === undefined ? {} : { firstDenied: new Date(first).toISOString() }),
    idsFlags: ids.count,
  };
}
