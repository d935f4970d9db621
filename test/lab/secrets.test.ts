import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Wait } from "testcontainers";
import { inRanges } from "../../harness/core/addresses.js";
import { docker, LABEL_ROLE, LABEL_RUN, runLabels } from "../../harness/docker/client.js";
import { freeLoopbackPort, LabContainer } from "../../harness/docker/lab-container.js";
import { Teardown } from "../../harness/core/lifecycle.js";
import { projectRoot, scenariosDir } from "../../harness/core/paths.js";
import { runChecked } from "../../harness/core/process.js";
import { newRunId } from "../../harness/run/run-scenarios.js";
import { builtLabImage } from "../../harness/setup/lab-images.js";

const PASSWORD = "Sh1pp3r-and-harness-secret-7f3a";
const API_KEY = "QXBpS2V5LW5ldmVyLXByaW50ZWQtOWMy";
const USERNAME = "scanproof";
const ES_CONFIG = "/usr/share/elasticsearch/config";

/** Elasticsearch standing in for a user's cluster: published on the Docker host's bridge address, so both the harness and a lab's shipper reach it. */
class ClusterContainer extends LabContainer {
  publishOn(address: string, hostPort: number): this {
    this.withExposedPorts(9200);
    this.hostConfig.PortBindings = { "9200/tcp": [{ HostIp: address, HostPort: String(hostPort) }] };
    return this;
  }
}

/** A CA and a server certificate for `address`, made with openssl. */
async function certificates(dir: string, address: string): Promise<void> {
  const openssl = (...args: string[]) => runChecked("openssl", args, { cwd: dir });
  await openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=scanproof test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
  );
  await openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=elasticsearch",
    "-keyout",
    "es.key",
    "-out",
    "es.csr",
  );
  writeFileSync(join(dir, "san.ext"), `subjectAltName=IP:${address},IP:127.0.0.1\n`);
  await openssl(
    "x509",
    "-req",
    "-in",
    "es.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    "san.ext",
    "-out",
    "es.crt",
  );
}

interface CliRun {
  readonly code: number | null;
  readonly output: string;
  /** `docker inspect` of every container of the run, taken while its lab was up. */
  readonly inspected: string;
  /** The shipper's own log. */
  readonly shipperLog: string;
}

/** Runs `scanproof run` with `env`, inspecting the run's containers once its scan step starts. */
function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot, "bin", "scanproof.js"), ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let inspection: Promise<{ inspected: string; shipperLog: string }> | undefined;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const runId = /Run (\S+):/.exec(output)?.[1];
      if (!inspection && runId && /step 1\/1/.test(output)) inspection = inspectRun(runId);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => {
      void (inspection ?? Promise.resolve({ inspected: "", shipperLog: "" })).then(
        ({ inspected, shipperLog }) => resolve({ code, output, inspected, shipperLog }),
        reject,
      );
    });
  });
}

async function inspectRun(runId: string): Promise<{ inspected: string; shipperLog: string }> {
  const containers = await docker().listContainers({ filters: { label: [`${LABEL_RUN}=${runId}`] } });
  const inspected = await Promise.all(containers.map((c) => docker().getContainer(c.Id).inspect()));
  const shipper = containers.find((c) => c.Labels[LABEL_ROLE] === "shipper");
  const shipperLog = shipper
    ? (await docker().getContainer(shipper.Id).logs({ stdout: true, stderr: true })).toString()
    : "";
  return { inspected: JSON.stringify(inspected), shipperLog };
}

/**
 * The Docker host's own address on the default bridge, read from the host's interfaces: a freshly
 * started dockerd lists the bridge's subnet but no gateway in its IPAM config.
 */
async function bridgeHostAddress(): Promise<string> {
  const bridge = (await docker().getNetwork("bridge").inspect()) as {
    IPAM: { Config: { Subnet?: string }[] };
  };
  const subnets = bridge.IPAM.Config.flatMap((c) => (c.Subnet ? [c.Subnet] : []));
  const found = Object.values(networkInterfaces())
    .flat()
    .find((i) => i?.family === "IPv4" && inRanges(i.address, subnets));
  return (
    found?.address ?? expect.fail(`no host interface in the default bridge's subnets ${subnets.join(", ")}`)
  );
}

/** Every file below a folder, as text. */
function filesBelow(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((path) => ({ path, text: readFileSync(path, "latin1") }));
}

describe("secrets and TLS with a secured external cluster (real Docker, Elasticsearch with TLS and users, shipper)", function () {
  const teardown = new Teardown();
  const dir = mkdtempSync(join(tmpdir(), "scanproof-tls-"));
  let url: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    const address = await bridgeHostAddress();
    await certificates(dir, address);
    writeFileSync(join(dir, "password"), `${PASSWORD}\n`, { mode: 0o600 });
    writeFileSync(join(dir, "api-key"), API_KEY, { mode: 0o600 });
    const port = await freeLoopbackPort();
    const cert = (name: string) => ({
      content: readFileSync(join(dir, name), "utf8"),
      target: `${ES_CONFIG}/certs/${name}`,
      mode: 0o644,
    });
    const cluster = await new ClusterContainer(await builtLabImage("elasticsearch"))
      .withLabels(runLabels(`test-${newRunId()}`, { [LABEL_ROLE]: "external-cluster" }))
      .withEnvironment({ ES_JAVA_OPTS: "-Xms512m -Xmx512m" })
      .withCopyContentToContainer([
        cert("es.key"),
        cert("es.crt"),
        cert("ca.crt"),
        { content: PASSWORD, target: "/tmp/password", mode: 0o644 },
      ])
      .withCommand([
        "sh",
        "-c",
        [
          `bin/elasticsearch-users useradd ${USERNAME} -p "$(cat /tmp/password)" -r superuser &&`,
          "exec bin/elasticsearch",
          "-Expack.security.enabled=true",
          "-Expack.security.http.ssl.enabled=true",
          "-Expack.security.http.ssl.key=certs/es.key",
          "-Expack.security.http.ssl.certificate=certs/es.crt",
          "-Expack.security.http.ssl.certificate_authorities=certs/ca.crt",
        ].join(" "),
      ])
      .publishOn(address, port)
      .withWaitStrategy(Wait.forLogMessage(/\] started/))
      .withStartupTimeout(240_000)
      .start();
    teardown.defer("stop the secured cluster", () => cluster.stop({ timeout: 5_000 }));
    url = `https://${address}:${port}`;
    env = {
      SCANPROOF_ES_URL: url,
      SCANPROOF_ES_USERNAME: USERNAME,
      SCANPROOF_ES_PASSWORD_FILE: join(dir, "password"),
      SCANPROOF_ES_API_KEY: "",
      SCANPROOF_ES_CA_FILE: join(dir, "ca.crt"),
      SCANPROOF_RESULTS_DIR: join(dir, "results"),
    };
  });

  after(() => teardown.run());

  const benign = ["run", "--no-setup", join(scenariosDir, "benign-web-browsing.yaml")];

  it("ships and queries over verified TLS with credentials from files, and no output, report or container shows them", async function () {
    const run = await runCli(benign, env);
    expect(run.code, run.output).to.equal(0);
    expect(run.output).to.include(`external Elasticsearch at ${url}`);
    expect(run.output).to.match(/benign-web-browsing\s+PASS/);
    expect(run.inspected, "the run's containers were inspected mid-run").to.include(
      '"io.scanproof.role":"shipper"',
    );
    expect(run.inspected).to.include("SCANPROOF_ES_HTTPS=on");
    const reports = filesBelow(join(dir, "results"));
    expect(reports.length).to.be.greaterThan(3);
    const places = [
      { path: "terminal output", text: run.output },
      { path: "docker inspect of the run's containers", text: run.inspected },
      { path: "the shipper's log", text: run.shipperLog },
      ...reports,
    ];
    expect(places.filter((p) => p.text.includes(PASSWORD)).map((p) => p.path)).to.deep.equal([]);
  });

  it("refuses a certificate it cannot verify before anything starts, with TLS verification on by default", async function () {
    const { SCANPROOF_ES_CA_FILE: _ca, ...withoutCa } = env;
    const run = await runCli(benign, withoutCa);
    expect(run.code, run.output).to.equal(4);
    expect(run.output).to.match(/The TLS certificate of Elasticsearch at https:\S+ does not verify/);
    expect(run.output).to.include("SCANPROOF_ES_CA_FILE");
    expect(run.inspected).to.equal("");
    expect(run.output).not.to.include(PASSWORD);
  });

  it("says the credentials were refused, without printing them", async function () {
    writeFileSync(join(dir, "wrong"), `${API_KEY}-wrong`);
    const run = await runCli(benign, { ...env, SCANPROOF_ES_PASSWORD_FILE: join(dir, "wrong") });
    expect(run.code, run.output).to.equal(4);
    expect(run.output).to.include("refused scanproof's credentials (HTTP 401)");
    expect(run.output).not.to.include(API_KEY);
  });
});
