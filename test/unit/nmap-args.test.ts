import { expect } from "chai";
import { ScanproofError } from "../../harness/core/errors.js";
import { readFileSync } from "node:fs";
import { classifyNmapArgs, scriptsReachingOutside } from "../../harness/scanners/nmap-args.js";
import { fixture, thrownBy } from "./fixture-helpers.js";

const WHERE = "steps[0].args";
const classify = (...args: string[]) => classifyNmapArgs(args, WHERE);
const refusal = (...args: string[]): string => {
  const error = thrownBy(() => classify(...args));
  expect(error).to.be.instanceOf(ScanproofError);
  expect(error.message).to.match(new RegExp(`^steps\\[0\\]\\.args: `));
  return error.message;
};

describe("classifyNmapArgs", () => {
  describe("options with values", () => {
    it("keeps -p and its separate value as options", () => {
      expect(classify("-sS", "-p", "80")).to.deep.equal({
        options: ["-sS", "-p", "80"],
        targets: [],
        exclude: [],
        addresses: [],
        scripts: [],
        interfaces: [],
      });
    });

    it("keeps -p80 with its attached value", () => {
      expect(classify("-p80")).to.deep.equal({
        options: ["-p80"],
        targets: [],
        exclude: [],
        addresses: [],
        scripts: [],
        interfaces: [],
      });
    });

    it("does not mistake the value of --top-ports for a target", () => {
      expect(classify("--top-ports", "100", "-T4")).to.deep.equal({
        options: ["--top-ports", "100", "-T4"],
        targets: [],
        exclude: [],
        addresses: [],
        scripts: [],
        interfaces: [],
      });
    });

    it("keeps --top-ports=100 as one option", () => {
      expect(classify("--top-ports=100")).to.deep.equal({
        options: ["--top-ports=100"],
        targets: [],
        exclude: [],
        addresses: [],
        scripts: [],
        interfaces: [],
      });
    });

    it("refuses an option whose value is missing", () => {
      expect(refusal("-sS", "-p")).to.include("-p needs a value");
      expect(refusal("--top-ports")).to.include("--top-ports needs a value");
    });
  });

  describe("targets", () => {
    it("collects bare arguments as targets, in order", () => {
      expect(classify("-sS", "web", "-p", "22", "10.20.0.0/28")).to.deep.equal({
        options: ["-sS", "-p", "22"],
        targets: ["web", "10.20.0.0/28"],
        exclude: [],
        addresses: [],
        scripts: [],
        interfaces: [],
      });
    });
  });

  describe("addresses inside options", () => {
    it("collects decoy addresses from -D and drops ME", () => {
      expect(classify("-D", "10.20.0.5,ME").addresses).to.deep.equal([{ option: "-D", value: "10.20.0.5" }]);
    });

    it("collects every decoy of an attached -D list", () => {
      expect(classify("-D10.20.0.5,10.20.0.6").addresses).to.deep.equal([
        { option: "-D", value: "10.20.0.5" },
        { option: "-D", value: "10.20.0.6" },
      ]);
    });

    it("refuses random decoys", () => {
      expect(refusal("-D", "RND:5")).to.include("RND:5");
      expect(refusal("-D", "10.20.0.5,RND")).to.include("RND");
    });

    it("collects the spoofed source of -S", () => {
      const args = classify("-S", "10.20.0.9", "web");
      expect(args.addresses).to.deep.equal([{ option: "-S", value: "10.20.0.9" }]);
      expect(args.targets).to.deep.equal(["web"]);
    });

    it("collects --dns-servers with an attached value", () => {
      expect(classify("--dns-servers=10.20.0.2,10.20.0.3").addresses).to.deep.equal([
        { option: "--dns-servers", value: "10.20.0.2" },
        { option: "--dns-servers", value: "10.20.0.3" },
      ]);
    });

    it("collects the zombie host of an idle scan (-sI zombie:80), without its port", () => {
      expect(classify("-sI", "zombie:80", "web")).to.deep.equal({
        options: ["-sI", "zombie:80"],
        targets: ["web"],
        exclude: [],
        addresses: [{ option: "-sI", value: "zombie" }],
        scripts: [],
        interfaces: [],
      });
    });
  });

  describe("refused options", () => {
    it("refuses --resume, naming it", () => {
      expect(refusal("--resume", "scan.log")).to.include("--resume is not allowed");
    });

    it("refuses --proxies, also with an attached value", () => {
      expect(refusal("--proxies", "socks4://10.20.0.5:1080")).to.include("--proxies is not allowed");
      expect(refusal("--proxies=socks4://10.20.0.5:1080")).to.include("--proxies is not allowed");
    });

    it("refuses -oX and -oN", () => {
      refusal("-oX", "out.xml");
      refusal("-oN", "out.txt");
    });

    it("refuses the other output formats, attached or not", () => {
      refusal("-oG", "out.gnmap");
      refusal("-oA", "out");
      refusal("-oXout.xml");
    });

    it("names -oX and says why it is refused", () => {
      expect(refusal("-oX", "out.xml")).to.include("-oX").and.to.include("XML");
    });

    it("refuses -iL and -iR, naming them", () => {
      expect(refusal("-iL", "targets.txt")).to.include("-iL is not allowed");
      expect(refusal("-iR", "5")).to.include("-iR is not allowed");
    });
  });

  describe("options nmap would act on unchecked", () => {
    it("refuses source routing, another data folder and a script argument file", () => {
      expect(refusal("--ip-options", "L 10.20.0.1 192.0.2.1")).to.include("--ip-options is not allowed");
      expect(refusal("--ip-options=L 192.0.2.1")).to.include("--ip-options is not allowed");
      expect(refusal("--datadir", "/tmp")).to.include("--datadir is not allowed");
      expect(refusal("--script-args-file=args.txt")).to.include("--script-args-file is not allowed");
    });

    it("refuses a service list from another file, in any spelling", () => {
      expect(refusal("--servicedb=/tmp/services")).to.include("--servicedb is not allowed");
      expect(refusal("-servicedb", "/tmp/services")).to.include("--servicedb is not allowed");
    });

    it("refuses an option nmap does not know, as nmap would, instead of guessing what its value is", () => {
      expect(refusal("--no-such-option", "2")).to.include('"--no-such-option" is not an nmap option');
      expect(refusal("-Z")).to.include('"-Z" is not an nmap option');
    });

    it("reads the value of every value-taking option as nmap does, not as a target", () => {
      expect(classify("--max-os-tries", "2").targets).to.deep.equal([]);
      expect(classify("--stats-every", "5s", "web").targets).to.deep.equal(["web"]);
    });
  });

  describe("scripts", () => {
    it("collects --script selections, separate or attached", () => {
      expect(classify("--script", "http-title", "--script=ssh-hostkey").scripts).to.deep.equal([
        "http-title",
        "ssh-hostkey",
      ]);
    });

    it("counts -sC and -A as nmap's default scripts", () => {
      expect(classify("-sC").scripts).to.deep.equal(["default"]);
      expect(classify("-A").scripts).to.deep.equal(["default"]);
    });

    it("refuses the newtargets script argument, which adds discovered hosts as targets", () => {
      expect(refusal("--script-args", "newtargets")).to.include("newtargets is not allowed");
      expect(refusal("--script-args=http.useragent=x,newtargets=1")).to.include("newtargets is not allowed");
    });

    it("collects addresses inside script arguments for the scope guard", () => {
      expect(
        classify("--script-args", "dns-zone-transfer.server=192.0.2.53,range=10.20.0.0/28").addresses,
      ).to.deep.equal([
        { option: "--script-args", value: "192.0.2.53" },
        { option: "--script-args", value: "10.20.0.0/28" },
      ]);
    });

    it("does not take a version number in a script argument for an address", () => {
      expect(
        classify("--script-args", "http.useragent=Mozilla/5.0 (X11; rv:128.0.1.2.3)").addresses,
      ).to.deep.equal([]);
    });
  });
});

describe("scriptsReachingOutside", () => {
  const help = readFileSync(fixture("nmap", "script-help-mixed.txt"), "utf8");

  it("names every script of nmap's --script-help output in the external or broadcast category", () => {
    expect(scriptsReachingOutside(help)).to.deep.equal([
      { script: "broadcast-ping", category: "broadcast" },
      { script: "vulners", category: "external" },
    ]);
  });

  it("lets scripts that only talk to the target through", () => {
    expect(help).to.include("http-title\nCategories: default discovery safe");
    expect(scriptsReachingOutside(help).map((s) => s.script)).not.to.include("http-title");
  });
});
