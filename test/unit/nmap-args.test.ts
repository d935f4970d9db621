import { expect } from "chai";
import { ScanproofError } from "../../harness/errors.js";
import { classifyNmapArgs } from "../../harness/scanners/nmap-args.js";
import { thrownBy } from "./fixture-helpers.js";

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
        addresses: [],
      });
    });

    it("keeps -p80 with its attached value", () => {
      expect(classify("-p80")).to.deep.equal({ options: ["-p80"], targets: [], addresses: [] });
    });

    it("does not mistake the value of --top-ports for a target", () => {
      expect(classify("--top-ports", "100", "-T4")).to.deep.equal({
        options: ["--top-ports", "100", "-T4"],
        targets: [],
        addresses: [],
      });
    });

    it("keeps --top-ports=100 as one option", () => {
      expect(classify("--top-ports=100")).to.deep.equal({
        options: ["--top-ports=100"],
        targets: [],
        addresses: [],
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
        addresses: [],
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
        addresses: [{ option: "-sI", value: "zombie" }],
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
});
