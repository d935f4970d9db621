import type { EscalationContext } from "../context/context.js";
import { formatDuration } from "../context/durations.js";
import type { Enrichment } from "./enrichment.js";
import type { EscalationFacts, SimilarAlert } from "./facts.js";

export interface Answer {
  readonly question: string;
  readonly answer: string;
}

/** The playbook's analysis questions, answered from the facts and the enrichment. */
export interface Analysis {
  readonly internalOrKnown: Answer & {
    readonly internal: boolean;
    readonly allowListed: boolean;
    readonly reputation: string;
    readonly seenBefore: boolean;
  };
  readonly portsAndServices: Answer & {
    readonly distinctPorts: number;
    readonly topPorts: readonly number[];
    readonly declaredServices: readonly string[];
  };
  readonly volume: Answer & {
    readonly events: number;
    /** Firewall events per activity window from all sources before the activity; undefined: no history. */
    readonly baselinePerWindow?: number;
    readonly ratio?: number;
  };
  readonly similarRecently: Answer & { readonly alerts: readonly SimilarAlert[] };
}

const TOP_PORTS_SHOWN = 10;

export function answerAnalysisQuestions(
  facts: EscalationFacts,
  enrichment: Enrichment,
  context: EscalationContext,
): Analysis {
  const history = formatDuration(context.history_window);
  const activityWindow = formatDuration(context.escalation.activity_window);
  const { source, activity } = facts;

  const known = [
    enrichment.allowList
      ? `on the allow-list as ${enrichment.allowList.owner}'s scanner (${enrichment.allowList.purpose})${enrichment.allowList.inWindow ? "" : ", outside its engagement window"}`
      : "not on the allow-list",
    enrichment.infrastructure
      ? `declared ${enrichment.infrastructure.role} infrastructure "${enrichment.infrastructure.name}" of ${enrichment.infrastructure.owner}${enrichment.infrastructure.outside.length === 0 ? ", inside its declaration" : `, outside its declaration: ${enrichment.infrastructure.outside.join("; ")}`}`
      : "not declared infrastructure",
    `reputation: ${enrichment.reputation.verdict} (${enrichment.reputation.message})`,
    facts.priorEvents > 0
      ? `seen before: ${facts.priorEvents} events in the ${history} before this activity began (${facts.activityStart}), first on ${enrichment.history.firstSeen ?? "?"}`
      : `never seen in the ${history} before this activity began (${facts.activityStart})`,
  ];

  const topPorts = activity.topPorts.slice(0, TOP_PORTS_SHOWN).map((p) => p.port);
  const declared = enrichment.targetedServices.map(
    (s) =>
      `${s.asset} ${s.port}/${s.protocol}${s.product ? ` ${[s.product, s.version].filter(Boolean).join(" ")}` : ""}`,
  );
  const portsAnswer = [
    `${activity.distinctPorts} distinct port${activity.distinctPorts === 1 ? "" : "s"} on ${activity.targets.join(", ") || "no host"}`,
    topPorts.length > 0 ? `most probed: ${topPorts.join(", ")}` : "",
    declared.length > 0
      ? `declared services hit: ${declared.join("; ")}`
      : "no declared service of the inventory was hit",
  ].filter(Boolean);

  const windows = facts.baseline.spanMs / context.escalation.activity_window;
  const baselinePerWindow = windows > 0 ? facts.baseline.events / windows : undefined;
  const ratio =
    baselinePerWindow !== undefined && baselinePerWindow > 0
      ? activity.probes / baselinePerWindow
      : undefined;
  const volumeAnswer =
    baselinePerWindow === undefined || baselinePerWindow === 0
      ? `${activity.probes} firewall events from ${source} in this activity (since ${facts.activityStart}); no baseline: the firewall logged nothing in the ${history} before it`
      : `${activity.probes} firewall events from ${source} in this activity (since ${facts.activityStart}) against a baseline of ${round(baselinePerWindow)} per ${activityWindow} from all sources over the ${history} before it (${round(ratio ?? 0)}×)`;

  const similar = facts.similar;
  const similarAnswer =
    similar.length === 0
      ? `no other alert for this rule or this source in the last ${history}`
      : `${similar.length} other alert${similar.length === 1 ? "" : "s"} in the last ${history}: ${similar
          .slice(0, 5)
          .map(
            (a) =>
              `"${a.ruleName}" for ${a.source ?? "any source"} at ${a.at}${a.tier ? ` (${a.tier})` : ""}`,
          )
          .join("; ")}`;

  return {
    internalOrKnown: {
      question: "Is the source internal or known?",
      answer: `${enrichment.internal ? "internal" : "external"}; ${known.join("; ")}`,
      internal: enrichment.internal,
      allowListed: enrichment.allowList !== undefined,
      reputation: enrichment.reputation.verdict,
      seenBefore: facts.priorEvents > 0,
    },
    portsAndServices: {
      question: "Which ports and services were targeted?",
      answer: portsAnswer.join("; "),
      distinctPorts: activity.distinctPorts,
      topPorts,
      declaredServices: declared,
    },
    volume: {
      question: "What is the volume compared with the baseline?",
      answer: volumeAnswer,
      events: activity.probes,
      ...(baselinePerWindow === undefined ? {} : { baselinePerWindow }),
      ...(ratio === undefined ? {} : { ratio }),
    },
    similarRecently: {
      question: "Has similar activity been seen recently?",
      answer: similarAnswer,
      alerts: similar,
    },
  };
}

function round(n: number): string {
  return n >= 10 ? n.toFixed(0) : n.toFixed(1);
}
