import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { ScanproofError } from "../../harness/core/errors.js";
import { ScopeGuard } from "../../harness/lab/scope-guard.js";
import { DMZ, OUTSIDE } from "../../harness/lab/segments.js";
import { parseNmapCommandLine } from "../../harness/scanners/nmap-options.js";
import type { StepSpec } from "../../harness/scenario/schema.js";
import { loadScenario } from "../../harness/scenario/load.js";
import { nmapScope } from "../../harness/scanners/step-scope.js";
import { checkStepScope, scenarioScopeProblems } from "../../harness/scenario/scope.js";
import { inputErrorOf, thrownBy } from "./fixture-helpers.js";

const guard = () =>
  new ScopeGuard(
    [OUTSIDE.subnet, DMZ.subnet],
    new Map([
      ["web", "10.20.0.10"],
      ["dns", "10.20.0.12"],
    ]),
  );

const nmap = (...args: string[]) => nmapScope({ target: "web", args }, 0, guard(), "vx-out");

function refusal(check: () => unknown): string {
  const error = thrownBy(check);
  expect(error).to.be.instanceOf(ScanproofError);
  expect(error.message).to.match(/^steps\[0\]/);
  return error.message;
}

describe("the scope guard's argument layer", () => {
  describe("addresses with leading zeros, which nmap and masscan read as decimal", () => {
    for (const target of ["012.024.0.012/32", "012.024.0.012", "010.020.000.010"]) {
      it(`refuses the masscan target ${target}`, () => {
        const step: StepSpec = { tool: "masscan", from: "attacker", target, ports: "80", rate: 100 };
        expect(refusal(() => checkStepScope(step, 0, guard(), "vx-out"))).to.include("leading zero");
      });
    }

    it("passes an nmap target with leading zeros on to nmap's own listing, which reads it as nmap will", () => {
      expect(nmap("012.024.0.012/32").resolvedTargets).to.deep.equal(["10.20.0.10", "012.024.0.012/32"]);
    });

    it("refuses a decoy, spoofed source or DNS server with leading zeros", () => {
      expect(refusal(() => nmap("-D", "010.020.000.011"))).to.include("leading zero");
      expect(refusal(() => nmap("-S", "010.020.0.9", "-e", "vx-out"))).to.include("leading zero");
      expect(refusal(() => nmap("--dns-servers=010.020.0.12"))).to.include("leading zero");
    });

    it("refuses a script argument address with leading zeros", () => {
      expect(refusal(() => nmap("--script-args", "dns-zone-transfer.server=012.024.0.012"))).to.include(
        "leading zero",
      );
    });
  });

  describe("nmap's single-dash long options (getopt_long_only)", () => {
    const cases: [string[], string][] = [
      [["-script-args-file=/tmp/a"], "--script-args-file is not allowed"],
      [["-proxies=socks4://10.20.0.5:1080"], "--proxies is not allowed"],
      [["-ip-options=L 192.0.2.1"], "--ip-options is not allowed"],
      [["-resume=/tmp/scan.log"], "--resume is not allowed"],
      [["-datadir=/tmp"], "--datadir is not allowed"],
      [["-dns-servers=192.0.2.53"], "refusing to probe 192.0.2.53"],
      [["-script-args=dns-zone-transfer.server=192.0.2.53"], "refusing to probe 192.0.2.53"],
      [["--script-args-f=/tmp/a"], "--script-args-file is not allowed"],
      [["-excludef", "/tmp/x"], "--excludefile is not allowed"],
    ];
    for (const [args, message] of cases) {
      it(`refuses ${args.join(" ")}`, () => {
        expect(refusal(() => nmap(...args))).to.include(message);
      });
    }

    it("reads -script=x as --script, so nmap's script check sees it", () => {
      expect(nmap("-script=whois-ip").scripts).to.deep.equal(["whois-ip"]);
    });

    it("refuses an ambiguous prefix as nmap does", () => {
      expect(refusal(() => nmap("-scri", "x"))).to.include("ambiguous");
    });
  });

  describe("target lists and random targets", () => {
    const cases: [string[], string][] = [
      [["-i/etc/hosts"], "-i is not allowed"],
      [["-i", "/etc/hosts"], "-i is not allowed"],
      [["-niL", "/etc/hosts"], "-i is not allowed"],
      [["--iL", "-"], "-iL is not allowed"],
      [["-iL-"], "-i is not allowed"],
      [["--iR", "-0"], "-iR is not allowed"],
      [["-iR=0"], "-iR is not allowed"],
    ];
    for (const [args, message] of cases) {
      it(`refuses ${args.join(" ")}`, () => {
        expect(refusal(() => nmap(...args))).to.include(message);
      });
    }
  });

  describe("hosts hidden in script arguments", () => {
    const cases: [string, string][] = [
      ["dns-zone-transfer.server=134744072", "names a host scanproof cannot check"],
      ["dns-zone-transfer.server=ns.example.com", "names a host scanproof cannot check"],
      ["dns-zone-transfer.server=2001:4860:4860::8888", "IPv6"],
      ["http.host=[::1]", "IPv6"],
      ['"newtargets"', "newtargets is not allowed"],
      ["'newtargets'=1", "newtargets is not allowed"],
      ["dns-brute.domain=lab.example,newtargets", "newtargets is not allowed"],
      ["{newtargets}", "newtargets is not allowed"],
      ["NewTargets=true", "newtargets is not allowed"],
      ["http-proxy-brute.url=http://192.0.2.8/", "refusing to probe 192.0.2.8"],
      ["targets-sniffer.iface=eth0,x.target=example.org", "names a host scanproof cannot check"],
    ];
    for (const [value, message] of cases) {
      it(`refuses --script-args ${value}`, () => {
        expect(refusal(() => nmap("--script", "dns-brute", "--script-args", value))).to.include(message);
      });
    }

    it("accepts a lab address for a host argument and ordinary values elsewhere", () => {
      const checked = nmap(
        "--script-args",
        'dns-zone-transfer.server=10.20.0.12,vulners.mincvss=7.0,http.useragent="Mozilla/5.0 (x, y)"',
      );
      expect(checked.addresses).to.deep.equal([{ option: "--script-args", value: "10.20.0.12" }]);
    });

    it("refuses an unclosed quote or table with its position", () => {
      expect(refusal(() => nmap("--script-args", 'a="b'))).to.include("unclosed");
      expect(refusal(() => nmap("--script-args", "a={b"))).to.include("unclosed {");
    });
  });

  describe("fields meant for one host", () => {
    const steps: [string, StepSpec][] = [
      ["ffuf", { tool: "ffuf", from: "attacker", target: "10.20.0.0/24", wordlist: "web-paths", threads: 1 }],
      ["nikto", { tool: "nikto", from: "attacker", target: "10.20.0.0/28", maxtime: 10 }],
      ["http", { tool: "http", from: "attacker", target: "10.20.0.0/30", paths: ["/"], repeat: 1 }],
      ["axfr", { tool: "axfr", from: "attacker", server: "10.20.0.0/24", domain: "lab.example" }],
      [
        "gobuster server",
        {
          tool: "gobuster-dns",
          from: "attacker",
          server: "10.20.0.12/32",
          domain: "lab.example",
          wordlist: "dns-names",
        },
      ],
    ];
    for (const [name, step] of steps) {
      it(`refuses a CIDR for ${name}`, () => {
        expect(refusal(() => checkStepScope(step, 0, guard(), "vx-out"))).to.include("names one host");
      });
    }
  });

  describe("nmap's own target notation", () => {
    it("accepts ranges, lists and wildcards for nmap's listing to expand", () => {
      expect(nmap("10.20.0.10-12", "10.20.0.1,2", "10.20.0.*").resolvedTargets).to.deep.equal([
        "10.20.0.10",
        "10.20.0.10-12",
        "10.20.0.1,2",
        "10.20.0.*",
      ]);
    });

    it("refuses a strict address or CIDR outside the lab before anything runs", () => {
      expect(refusal(() => nmap("8.8.8.8"))).to.include("refusing to probe 8.8.8.8");
      expect(refusal(() => nmap("10.0.0.0/8"))).to.include("refusing to probe 10.0.0.0/8");
    });

    it("refuses host names other than the lab's, which nmap would look up in DNS", () => {
      expect(refusal(() => nmap("example.com"))).to.include('"example.com" is neither a lab host name');
      expect(refusal(() => nmap("--exclude", "example.com"))).to.include("--exclude");
    });

    it("puts lab addresses in place of lab names in --exclude, and keeps it out of the passed options", () => {
      const checked = nmap("-p", "80", "--exclude", "dns", "10.20.0.0/24");
      expect(checked.resolvedExclude).to.deep.equal(["10.20.0.12"]);
      expect(checked.options).to.deep.equal(["-p", "80"]);
    });

    it("reads --exclude lists of ranges, CIDR blocks and names, in both spellings and repeated", () => {
      const checked = nmap(
        "--exclude",
        "10.20.0.0/30,10.20.0.13-20",
        "--exclude=web,10.20.0.*",
        "10.20.0.0/24",
      );
      expect(checked.resolvedExclude).to.deep.equal([
        "10.20.0.0/30",
        "10.20.0.13-20",
        "10.20.0.10",
        "10.20.0.*",
      ]);
      expect(checked.resolvedTargets).to.deep.equal(["10.20.0.10", "10.20.0.0/24"]);
      expect(checked.options).to.deep.equal([]);
    });

    it("refuses an --exclude entry outside the lab as it refuses a target", () => {
      expect(refusal(() => nmap("--exclude", "10.20.0.5,192.0.2.0/24"))).to.include("192.0.2.0/24");
    });

    it("lets nmap send only on the source's lab interface", () => {
      expect(refusal(() => nmap("-e", "eth0"))).to.include(
        "only send on the source's lab interface (vx-out)",
      );
      expect(nmap("-e", "vx-out").interfaces).to.deep.equal(["vx-out"]);
    });
  });
});

describe("parseNmapCommandLine", () => {
  it("reads clusters, attached and separate values the way getopt does", () => {
    const line = parseNmapCommandLine(["-nvPn", "-p80", "-T", "4", "web", "--", "-x"], "w");
    expect(line.options.map((o) => [o.name, o.value])).to.deep.equal([
      ["n", undefined],
      ["v", "Pn"],
      ["p", "80"],
      ["T", "4"],
    ]);
    expect(line.targets).to.deep.equal(["web", "-x"]);
  });

  it("keeps every argument that is not a target exactly once among the options' tokens", () => {
    const word = fc.constantFrom(
      "-sS",
      "-n",
      "-p",
      "80",
      "-T4",
      "--top-ports",
      "10",
      "web",
      "-vv",
      "--reason",
      "-Pn",
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 12 }), (args) => {
        let line;
        try {
          line = parseNmapCommandLine(args, "w");
        } catch {
          return;
        }
        const tokens = line.options.flatMap((o) => o.tokens);
        expect(tokens.length + line.targets.length).to.equal(args.length);
      }),
    );
  });
});

describe("loading a scenario checks every step's scope against its planned lab", () => {
  const dir = mkdtempSync(join(tmpdir(), "scanproof-scope-load-"));
  const scenarioWith = (steps: string): string => {
    const path = join(dir, `s-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      path,
      `id: scope\ntitle: scope\ntechnique: T1595.001\nlab:\n  targets:\n    - name: web\n      kind: web\nsteps:\n${steps}expect:\n  logs: [firewall]\n  alerts: [{ rule: Vertical Port Scan Seen by the Firewall }]\n`,
    );
    return path;
  };

  it("refuses each bad step at its line and field, all at once, as validate shows them", () => {
    const path = scenarioWith(
      [
        "  - tool: nmap",
        "    target: web",
        '    args: ["-script-args=newtargets"]',
        "  - tool: ffuf",
        "    target: 10.20.0.0/24",
        "  - tool: masscan",
        "    target: 012.024.0.012/32",
        "    ports: '80'",
        "",
      ].join("\n"),
    );
    const { problems } = inputErrorOf(() => loadScenario(path, [scenarioScopeProblems]));
    expect(problems.map((p) => [p.line, p.path])).to.deep.equal([
      [11, "steps[0].args"],
      [13, "steps[1].target"],
      [15, "steps[2].target"],
    ]);
    expect(problems[0]?.message).to.include("newtargets is not allowed");
    expect(problems[1]?.message).to.include("names one host");
    expect(problems[2]?.message).to.include("leading zero");
  });

  it("accepts nmap's range notation, left for nmap's listing at run time", () => {
    const path = scenarioWith(
      ["  - tool: nmap", "    target: 10.20.0.10-12", '    args: ["-sn"]', ""].join("\n"),
    );
    expect(loadScenario(path, [scenarioScopeProblems]).steps).to.have.length(1);
  });
});
