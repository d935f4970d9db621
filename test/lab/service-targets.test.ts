import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "chai";
import { Teardown } from "../../harness/core/lifecycle.js";
import { waitFor } from "../../harness/core/wait.js";
import { docker, LABEL_ROLE, LABEL_RUN } from "../../harness/docker/client.js";
import { startLab } from "../../harness/lab/lab.js";
import type { StartedLab } from "../../harness/lab/started-lab.js";
import { labCaPath } from "../../harness/lab/target-hardening.js";
import { SOURCE_BY_KIND, type BuiltinKind } from "../../harness/lab/target-kinds.js";
import { SOURCE_INDEX } from "../../harness/backend/templates.js";
import type { AuthDocument } from "../../harness/escalation/gather-post-scan.js";
import { planLab } from "../../harness/lab/topology.js";
import { newRunId } from "../../harness/run/run-scenarios.js";
import { sharedBackend } from "./shared-backend.js";

const PROBE_APP = resolve("test/fixtures/targets/probe-app/Dockerfile");

/**
 * A lab with every service kind, a service moved to another port, a host-filtered port and a
 * user-built image on the LAN: each answers its own protocol to a real client in the attacker
 * image, and writes its own log into the run folder.
 */
describe("service targets in a real lab: every kind answers its protocol", function () {
  const teardown = new Teardown();
  const workDir = mkdtempSync(join(tmpdir(), "scanproof-targets-"));
  const runId = newRunId();
  let lab: StartedLab;

  before(async function () {
    lab = await startLab({
      runId,
      scenarioId: "service-targets",
      plan: planLab({
        lab: {
          targets: [
            { name: "smtp", kind: "smtp" },
            { name: "ftp", kind: "ftp" },
            { name: "smb", kind: "smb" },
            { name: "telnet", kind: "telnet" },
            { name: "snmp", kind: "snmp" },
            { name: "db", kind: "db" },
            { name: "https", kind: "https" },
            {
              name: "bastion",
              kind: "ssh",
              ports: { "22": 2222 },
              filtered: [{ port: 8443, transport: "tcp" }],
            },
            { name: "moved-dns", kind: "dns", ports: { "53": 5353 } },
            {
              name: "app",
              kind: "custom",
              build: PROBE_APP,
              network: "lan",
              ports: [{ port: 8080, transport: "tcp" }],
              ready: { command: ["busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/"] },
            },
          ],
          hosts: [{ name: "insider", role: "client", network: "lan" }],
        },
      }),
      sensors: [],
      backend: await sharedBackend(),
      workDir,
      teardown,
    });
  });

  after(() => teardown.run());

  const address = (target: string) => {
    const host = lab.targets.get(target);
    if (!host) throw new Error(`no target ${target}`);
    return host.address;
  };
  const attacker = async (command: string[]) => lab.exec(lab.attacker, command);
  /** A target's log: in its log source's folder when its kind writes one (ftp: auth), else in `targets`. */
  const targetLog = (target: string, file: string) =>
    join(lab.logDir, SOURCE_BY_KIND[target as BuiltinKind] ?? "targets", target, file);
  /** The target's own log, once it holds `pattern` (services write their logs asynchronously). */
  const logged = async (target: string, file: string, pattern: RegExp) =>
    (
      await waitFor(
        `${file} of ${target} to match ${pattern}`,
        () =>
          existsSync(targetLog(target, file)) && pattern.test(readFileSync(targetLog(target, file), "utf8")),
        15_000,
      )
    ).value;
  /**
   * The run's authentication events of `action` for `user` in scanproof-auth, once there are at least
   * `count`, in time order: category, outcome, user, source, destination address and port, product.
   */
  const authEvents = async (action: string, user: string, count: number) => {
    const backend = await sharedBackend();
    const hits = await waitFor(
      `${count} ${action} events of ${user} in scanproof-auth`,
      async () => {
        await backend.client.indices.refresh({ index: SOURCE_INDEX.auth });
        const found = await backend.client.search<AuthDocument & { event?: { category?: string[] } }>({
          index: SOURCE_INDEX.auth,
          size: 100,
          query: {
            bool: {
              filter: [
                { term: { "labels.scanproof_run_id": runId } },
                { term: { "event.action": action } },
                { term: { "user.name": user } },
              ],
            },
          },
          sort: [{ "@timestamp": "asc" }],
        });
        return found.hits.hits.length >= count ? found.hits.hits : undefined;
      },
      30_000,
    );
    return hits.value.map((h) => {
      const d = h._source ?? {};
      return [
        d.event?.category,
        d.event?.outcome,
        d.user?.name,
        d.source?.ip,
        d.destination?.ip,
        d.destination?.port,
        d.observer?.product,
      ];
    });
  };
  /** A TCP dialogue from the attacker with bash's /dev/tcp: the server's lines after sending `lines`. */
  const dialogue = (host: string, port: number, lines: string[]) =>
    attacker([
      "bash",
      "-c",
      `exec 3<>/dev/tcp/${host}/${port}; printf '${lines.map((l) => `${l}\\r\\n`).join("")}' >&3; timeout 5 cat <&3`,
    ]);

  it("SMTP: Postfix greets, answers EHLO with its extensions, and logs the session", async function () {
    const result = await dialogue(address("smtp"), 25, ["EHLO scanner.example", "QUIT"]);
    expect(result.stdout).to.match(/^220 mail\.lab\.example ESMTP Postfix/);
    expect(result.stdout).to.match(/^250-PIPELINING/m);
    expect(result.stdout).to.match(/^221 /m);
    expect(await logged("smtp", "postfix.log", /connect from unknown\[198\.18\.0\.10\]/)).to.equal(true);
  });

  it("FTP: vsftpd lets an anonymous client fetch a file and logs the commands", async function () {
    const result = await attacker(["curl", "-sS", "--max-time", "10", `ftp://${address("ftp")}/pub/README`]);
    expect(result.stdout.trim(), result.stderr).to.equal("lab.example public files");
    expect(
      await logged("ftp", "auth.json", /FTP command: Client \\"198\.18\.0\.10\\", \\"RETR README\\"/),
    ).to.equal(true);
  });

  it("FTP: a wrong and a right password for lab reach Elasticsearch as authentication events", async function () {
    const login = (password: string) =>
      attacker(["curl", "-sS", "--max-time", "10", "-u", `lab:${password}`, `ftp://${address("ftp")}/`]);
    expect((await login("wrong")).exitCode).to.equal(67);
    expect((await login("lab")).exitCode).to.equal(0);
    expect(await authEvents("ftp_login", "lab", 2)).to.deep.equal(
      ["failure", "success"].map((outcome) => [
        ["authentication"],
        outcome,
        "lab",
        "198.18.0.10",
        address("ftp"),
        21,
        "vsftpd",
      ]),
    );
  });

  it("SMB: Samba lists its guest share to smbclient and logs the session", async function () {
    const result = await attacker(["smbclient", "-N", "-L", `//${address("smb")}`]);
    expect(result.stdout, result.stderr).to.match(/public\s+Disk/);
    expect(await logged("smb", "auth.json", /remote host \[ipv4:198\.18\.0\.10:\d+\]/)).to.equal(true);
  });

  it("SMB: a wrong and a right password for lab reach Elasticsearch as authentication events", async function () {
    const list = (password: string) =>
      attacker(["smbclient", "-U", `lab%${password}`, `//${address("smb")}/public`, "-c", "ls"]);
    expect((await list("wrong")).exitCode).to.not.equal(0);
    const result = await list("lab");
    expect(result.stdout, result.stderr).to.match(/README/);
    expect(await authEvents("smb_login", "lab", 2)).to.deep.equal(
      ["failure", "success"].map((outcome) => [
        ["authentication"],
        outcome,
        "lab",
        "198.18.0.10",
        address("smb"),
        445,
        "Samba",
      ]),
    );
  });

  it("Telnet: telnetd under inetd prints its login prompt; tcpd logs the client", async function () {
    const result = await attacker([
      "bash",
      "-c",
      `sleep 3 | curl -sS --max-time 4 telnet://${address("telnet")}:23`,
    ]);
    expect(result.stdout).to.match(/login: $/);
    expect(await logged("telnet", "auth.json", /connect from 198\.18\.0\.10/)).to.equal(true);
  });

  it("Telnet: a wrong and a right password for lab reach Elasticsearch as authentication events", async function () {
    // Python's telnetlib, answering prompt by prompt (login's delay after a failure is no fixed time
    // to sleep through; curl's telnet client reads nothing back through a pipe).
    const session = [
      "import sys, telnetlib",
      "t = telnetlib.Telnet(sys.argv[1], 23, timeout=30)",
      "def step(prompt, answer):",
      "    seen = t.read_until(prompt.encode(), timeout=30)",
      "    if not seen.endswith(prompt.encode()): sys.exit(f'no {prompt!r} after {seen!r}')",
      "    t.write(answer.encode() + b'\\r\\n')",
      "for prompt, answer in [('login: ', 'lab'), ('assword: ', 'wrong'), ('login: ', 'lab'), ('assword: ', 'lab'), ('$ ', 'id -un')]: step(prompt, answer)",
      "print(t.read_until(b'$ ', timeout=30).decode(errors='replace').split()[-2])",
      "t.write(b'exit\\r\\n')",
    ].join("\n");
    const result = await attacker(["python3", "-W", "ignore", "-c", session, address("telnet")]);
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.stdout.trim()).to.equal("lab");
    expect(await authEvents("telnet_login", "lab", 2)).to.deep.equal(
      ["failure", "success"].map((outcome) => [
        ["authentication"],
        outcome,
        "lab",
        "198.18.0.10",
        address("telnet"),
        23,
        "telnetd",
      ]),
    );
  });

  it("SNMP: snmpd answers snmpget for sysName over v2c and logs the source", async function () {
    const result = await attacker([
      "snmpget",
      "-v2c",
      "-c",
      "public",
      "-On",
      address("snmp"),
      "1.3.6.1.2.1.1.5.0",
    ]);
    expect(result.stdout).to.match(/STRING: "?snmp\.lab\.example/);
    expect(await logged("snmp", "snmpd.log", /198\.18\.0\.10/)).to.equal(true);
  });

  it("PostgreSQL: a wrong and a right password for lab reach Elasticsearch as authentication events", async function () {
    const psql = (password: string) =>
      attacker([
        "env",
        `PGPASSWORD=${password}`,
        "PGCONNECT_TIMEOUT=10",
        "PGSSLMODE=disable",
        "psql",
        "-h",
        address("db"),
        "-U",
        "lab",
        "-d",
        "lab",
        "-tAc",
        "select current_user",
      ]);
    expect((await psql("wrong")).exitCode).to.not.equal(0);
    const result = await psql("lab");
    expect(result.stdout.trim(), result.stderr).to.equal("lab");
    expect(await authEvents("postgresql_login", "lab", 2)).to.deep.equal(
      ["failure", "success"].map((outcome) => [
        ["authentication"],
        outcome,
        "lab",
        "198.18.0.10",
        address("db"),
        5432,
        "PostgreSQL",
      ]),
    );
  });

  it("HTTPS: nginx serves TLS with a certificate the attacker verifies against the lab CA", async function () {
    const url = `https://${address("https")}/`;
    const trusted = await attacker(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", url]);
    expect(trusted.stdout, trusted.stderr).to.equal("200");
    const pinned = await attacker(["curl", "-sS", "--cacert", labCaPath("https"), "-o", "/dev/null", url]);
    expect(pinned.exitCode, pinned.stderr).to.equal(0);
    const otherCa = await attacker([
      "curl",
      "-sS",
      "--cacert",
      "/etc/ssl/certs/ISRG_Root_X1.pem",
      "--capath",
      "/tmp",
      "-o",
      "/dev/null",
      url,
    ]);
    expect(otherCa.exitCode, "a CA other than the lab's must not verify the server").to.not.equal(0);
    const line = await waitFor(
      "the https access log",
      () => {
        const file = targetLog("https", "https.json");
        return existsSync(file) && readFileSync(file, "utf8").trim().split("\n")[0];
      },
      15_000,
    );
    expect(JSON.parse(line.value)).to.include({ client: "198.18.0.10", status: 200 });
  });

  it("SSH: sshd logs a failed and an accepted login, with user, method, client and its moved port", async function () {
    const login = (password: string) =>
      attacker([
        "sshpass",
        "-p",
        password,
        "ssh",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-p",
        "2222",
        `lab@${address("bastion")}`,
        "true",
      ]);
    expect((await login("wrong")).exitCode).to.not.equal(0);
    expect((await login("lab")).exitCode).to.equal(0);
    const authLog = join(lab.logDir, "auth", "bastion", "auth.json");
    const records = await waitFor(
      "the bastion's auth.json to hold the accepted login",
      () => {
        const lines = existsSync(authLog) ? readFileSync(authLog, "utf8").trim().split("\n") : [];
        const parsed = lines.map(
          (l) => JSON.parse(l) as { server_addr: string; server_port: string; message: string },
        );
        return parsed.some((r) => r.message.includes("Accepted password")) ? parsed : undefined;
      },
      15_000,
    );
    const messages = records.value.map((r) => r.message.trim());
    const loginsOf = (outcome: string) =>
      messages.filter((m) =>
        new RegExp(`^${outcome} password for lab from 198\\.18\\.0\\.10 port \\d+ ssh2$`).test(m),
      );
    expect(loginsOf("Failed")).to.have.lengthOf(1);
    expect(loginsOf("Accepted")).to.have.lengthOf(1);
    expect(
      records.value.every((r) => r.server_addr === address("bastion") && r.server_port === "2222"),
    ).to.equal(true);
  });

  it("a service moved by `ports:` listens there only, and a `filtered` port answers nothing", async function () {
    const banner = await dialogue(address("bastion"), 2222, []);
    expect(banner.stdout).to.match(/^SSH-2\.0-OpenSSH/);
    const scan = await attacker([
      "nmap",
      "-n",
      "-Pn",
      "-sS",
      "-p",
      "22,2222,8443",
      "--max-retries",
      "1",
      address("bastion"),
    ]);
    expect(scan.stdout).to.match(/^22\/tcp\s+closed/m);
    expect(scan.stdout).to.match(/^2222\/tcp\s+open/m);
    expect(scan.stdout).to.match(/^8443\/tcp\s+filtered/m);
    const dns = await attacker([
      "dig",
      "+short",
      "+tries=1",
      "+time=3",
      "-p",
      "5353",
      `@${address("moved-dns")}`,
      "www.lab.example",
    ]);
    expect(dns.stdout.trim()).to.equal("10.20.0.10");
  });

  it("a user-built image on the LAN serves its port to the LAN, labelled with the run", async function () {
    const result = await lab.exec(lab.host("insider"), [
      "curl",
      "-sS",
      "--max-time",
      "10",
      `http://${address("app")}:8080/`,
    ]);
    expect(result.stdout.trim()).to.equal("probe app");
    expect(address("app")).to.match(/^10\.30\.0\./);
    const labelled = await docker()
      .listContainers({ filters: { label: [`${LABEL_RUN}=${runId}`] } })
      .then((cs) =>
        cs.filter((c) => c.Labels[LABEL_ROLE] === "target" && c.Names.some((n) => n.endsWith("-app"))),
      );
    expect(labelled).to.have.length(1);
    expect(labelled[0]?.Image).to.match(/^scanproof-scenario\/probe-app:[0-9a-f]{12}$/);
  });
});
