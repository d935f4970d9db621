import "../docker/testcontainers-env.js";
import { dockerAnswers, LABEL_ROLE, runLabels } from "../docker/client.js";
import { LabContainer } from "../docker/lab-container.js";
import { Teardown, withTeardown } from "../core/lifecycle.js";
import { inPool } from "../core/pool.js";
import { locateInScenario, type Scenario } from "./load.js";
import { dotPath, type Problem } from "../core/problems.js";
import { builtLabImage } from "../setup/lab-images.js";
import { planStep } from "../scanners/registry.js";
import type { ToolExec } from "../scanners/step-kind.js";
import { plannedScope, stepProblem } from "./scope.js";

/** Scenarios checked at once: each check is a short process in the one validation container. */
const TOOL_CHECKS_AT_ONCE = 4;

export type ToolCheck =
  | { readonly checked: true; readonly problems: Problem[] }
  | { readonly checked: false; readonly why: string };

/**
 * The tool layer of the scope guarantee without a lab, for `validate`: the attacker image's own
 * nmap and masscan, in a container with no network, list what each step's targets mean and which
 * scripts its selections are; the same checks a run makes just before it scans.
 */
export async function checkWithAttackerTools(
  scenarios: readonly Scenario[],
  runId: string,
): Promise<ToolCheck> {
  if (!(await dockerAnswers())) return { checked: false, why: "Docker does not answer" };
  let image: string;
  try {
    image = await builtLabImage("attacker");
  } catch (error) {
    return { checked: false, why: (error as Error).message };
  }
  const teardown = new Teardown();
  return withTeardown(teardown, async () => {
    const container = await new LabContainer(image)
      .withNetworkMode("none")
      .withLabels(runLabels(runId, { [LABEL_ROLE]: "validate" }))
      .withCommand(["sleep", "infinity"])
      .start();
    teardown.defer("stop the validation container", () => container.stop({ timeout: 1_000 }));
    const answers = new Map<string, ReturnType<ToolExec>>();
    const exec: ToolExec = (command) => {
      const key = JSON.stringify(command);
      const answer = answers.get(key) ?? container.exec([...command]);
      answers.set(key, answer);
      return answer;
    };
    const found = await inPool(scenarios, TOOL_CHECKS_AT_ONCE, (s) => scenarioToolProblems(s, exec));
    return { checked: true, problems: found.flat() };
  });
}

async function scenarioToolProblems(scenario: Scenario, exec: ToolExec): Promise<Problem[]> {
  const { guard, uplinkOf } = plannedScope(scenario);
  const problems: Problem[] = [];
  const placed = [
    ...scenario.history.flatMap((entry, h) =>
      entry.steps.map((step, i) => ({ step, i, at: ["history", h, "steps", i] as PropertyKey[] })),
    ),
    ...scenario.steps.map((step, i) => ({ step, i, at: ["steps", i] as PropertyKey[] })),
  ];
  for (const { step, i, at } of placed) {
    try {
      await planStep(step, i, guard, uplinkOf(step)).checkWithTool?.(exec, guard);
    } catch (error) {
      const { path, message } = stepProblem(error, i, at);
      problems.push({
        file: scenario.file,
        ...locateInScenario(scenario.file, path),
        path: dotPath(path),
        message,
      });
    }
  }
  return problems;
}
