import { writeFileSync } from "node:fs";
import { SEGMENTS } from "../lab/segments.js";
import type { SourceHost, StartedLab } from "../lab/started-lab.js";
import { SOURCE_BY_KIND } from "../lab/target-kinds.js";
import type { GroundTruth } from "./ground-truth.js";
import { checkToolClaims, reduceWire, wireTruth, type WireScope } from "./wire-reduce.js";

/** Where the packets of a lab's traffic source go: its own segment, the firewall, the services that log. */
export function wireScope(lab: Pick<StartedLab, "plan">, source: Pick<SourceHost, "plan">): WireScope {
  const { plan } = lab;
  const seenAs = source.plan.seenAs === source.plan.address ? {} : { seenAs: source.plan.seenAs };
  return {
    ownSegment: SEGMENTS[source.plan.network].subnet,
    behindFirewall: [SEGMENTS.dmz.subnet, SEGMENTS.lan.subnet],
    firewall: [plan.firewall.outside, plan.firewall.dmz, plan.firewall.lan],
    ...seenAs,
    services: plan.targets.flatMap((t) => {
      const source = t.image.kind === "custom" ? undefined : SOURCE_BY_KIND[t.image.kind];
      return source === undefined
        ? []
        : t.services.map((s) => ({ address: t.address, transport: s.transport, port: s.port, source }));
    }),
  };
}

/**
 * The wire ground truth of step `index`: captures the source's lab interface while `run` runs the
 * step, then reduces the capture to what crossed the firewall and checks the tool's report (the
 * truth `run` returns, which may claim nothing) against it. The capture stays in the scenario's
 * `wire` folder as `step-<index>-<source>.pcap` (`-run-<n>` when a lab runs the step again, as a history does); tshark's fields of it beside it, as `.tsv`.
 */
export async function observeStep(
  lab: StartedLab,
  source: SourceHost,
  index: number,
  run: () => Promise<GroundTruth>,
): Promise<GroundTruth> {
  const capture = await lab.capture(source, `step-${index}-${source.name}`);
  const ran = await run().then(
    (truth) => ({ truth }),
    (error: unknown) => ({ error }),
  );
  const stopped = await capture.stop();
  if ("error" in ran) throw ran.error;
  const { truth } = ran;
  writeFileSync(stopped.stats.file.replace(/\.pcap$/, ".tsv"), stopped.fields);
  const reduction = reduceWire(stopped.fields);
  const claims = checkToolClaims(reduction, truth.probes, truth.events);
  return { ...truth, wire: wireTruth(reduction, wireScope(lab, source), stopped.stats, claims) };
}
