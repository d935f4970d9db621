import { ScanproofError } from "../core/errors.js";
import type { StartedLab } from "../lab/started-lab.js";
import { z } from "zod";
import { labName } from "../lab/spec.js";
import type { StepKind } from "./step-kind.js";
import type { ExpectedEvent, GroundTruth, Probe } from "./ground-truth.js";

export const HttpStepSchema = z.strictObject({
  tool: z.literal("http"),
  from: labName.default("attacker"),
  target: z.string().min(1),
  paths: z.array(z.string().startsWith("/")).min(1),
  repeat: z.number().int().min(1).max(100).default(1),
});
export type HttpStepSpec = z.output<typeof HttpStepSchema>;

/**
 * Ordinary web requests with curl, one TCP connection each ("Connection: close"), so every request
 * is one new connection the firewall must log, known down to its source port — except behind NAT,
 * where the router may give a connection another source port, so only the rest is matched.
 */
async function runHttp(
  lab: StartedLab,
  step: HttpStepSpec,
  index: number,
  target: string,
): Promise<GroundTruth> {
  const from = lab.host(step.from);
  const where = `steps[${index}]`;
  const urls = Array.from({ length: step.repeat }, () =>
    step.paths.map((p) => `http://${target}${encodeURI(p)}`),
  ).flat();
  const command = [
    "curl",
    "--silent",
    "--show-error",
    "--max-time",
    "10",
    "--header",
    "Connection: close",
    "--user-agent",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "--write-out",
    "%{http_code} %{local_port}\\n",
    ...urls.flatMap((u) => ["--url", u, "--output", "/dev/null"]),
  ];
  const startedAt = new Date().toISOString();
  const result = await lab.exec(from, command);
  const endedAt = new Date().toISOString();
  const lines = result.stdout.trim().split("\n").filter(Boolean);
  if (result.exitCode !== 0 || lines.length !== urls.length) {
    throw new ScanproofError(
      `${where}: curl made ${lines.length}/${urls.length} requests (exit ${result.exitCode}): ${result.stderr.trim()}`,
    );
  }
  const replies = lines.map((line) => {
    const [status = "", port = ""] = line.split(" ");
    return { status: Number(status), sourcePort: Number(port) };
  });
  const behindNat = from.plan.network === "nat";
  const probes: Probe[] = replies.map((r) => ({
    destination: target,
    transport: "tcp",
    port: 80,
    ...(behindNat ? {} : { sourcePort: r.sourcePort }),
  }));
  const paths = urls.map((u) => new URL(u).pathname);
  const events: ExpectedEvent[] = replies.map((r, i) => ({
    source: "web",
    fields: {
      "url.path": paths[i] ?? "",
      "http.request.method": "GET",
      "http.response.status_code": r.status,
      ...(behindNat ? {} : { "source.port": r.sourcePort }),
    },
  }));
  const statuses = lines.map((l) => l.split(" ")[0]).join(",");
  return {
    step: index,
    tool: "http",
    command,
    source: from.plan.seenAs,
    startedAt,
    endedAt,
    probes,
    events,
    summary: `${urls.length} requests (status ${statuses})`,
  };
}

/** Ordinary web requests to one lab host. */
export const httpStep: StepKind<HttpStepSpec> = {
  tool: "http",
  describe: (step) => `http ${step.paths.length * step.repeat} requests to ${step.target}`,
  plan(step, index, guard) {
    const target = guard.host(step.target, `steps[${index}].target`);
    return { run: (lab) => runHttp(lab, step, index, target) };
  },
};
