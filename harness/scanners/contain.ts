import { z } from "zod";
import { labName } from "../lab/spec.js";
import type { StepKind } from "./step-kind.js";

export const ContainStepSchema = z
  .strictObject({
    tool: z.literal("contain"),
    source: labName.default("attacker").describe("the traffic source (attacker or a lab host) to contain"),
  })
  .describe(
    "the playbook's containment: when the source's alerts so far reach Tier 2, block it at the lab firewall and put it on the IDS block list",
  );
export type ContainStepSpec = z.output<typeof ContainStepSchema>;

/**
 * The playbook's containment as a step: it sends nothing itself, so nothing is scoped; the run's
 * port decides on the source's alerts so far and blocks it at the firewall and the IDS.
 */
export const containStep: StepKind<ContainStepSpec> = {
  tool: "contain",
  describe: (step) => `contain ${step.source} if its alerts reach Tier 2`,
  plan: (step, index) => ({
    run: (lab, _guard, _workDir, ports) => ports.contain(lab.host(step.source).address, index),
  }),
};
