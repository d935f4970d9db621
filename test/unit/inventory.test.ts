import { expect } from "chai";
import { join } from "node:path";
import { loadContext } from "../../harness/context/context.js";
import { assetAt, placeInventory } from "../../harness/context/inventory.js";
import { assertionsDir } from "../../harness/core/paths.js";
import { fixture, inputErrorOf, lineOf, shownAs } from "./fixture-helpers.js";

const defaultContext = () => loadContext(join(assertionsDir, "context", "default.yaml"));

describe("asset inventory", () => {
  describe("loading", () => {
    it("reads each asset's criticality, reason and declared services with their CVEs", () => {
      const bastion = defaultContext().assets.find((a) => a.name === "ssh-bastion");
      expect(bastion).to.deep.equal({
        name: "ssh-bastion",
        address: "10.20.0.11",
        criticality: "critical",
        why: "the only administrative entry point into the DMZ",
        services: [
          {
            port: 22,
            protocol: "tcp",
            product: "OpenSSH",
            version: "9.2p1",
            cves: ["CVE-2023-48795", "CVE-2024-6387"],
          },
        ],
      });
    });

    it("defaults a service's CVEs to none", () => {
      const web = defaultContext().assets.find((a) => a.name === "public-web");
      expect(web?.services).to.deep.equal([
        { port: 80, protocol: "tcp", product: "nginx", version: "1.22.1", cves: [] },
      ]);
    });

    describe("invalid assets", () => {
      const path = fixture("context", "invalid-assets.yaml");
      const problems = () => inputErrorOf(() => loadContext(path)).problems;

      it("refuses an asset with both an address and a target, at its target", () => {
        expect(lineOf(path, 6)).to.equal("    target: web");
        expect(problems().find((p) => p.path === "assets[0].target")).to.deep.equal({
          file: shownAs(path),
          line: 6,
          column: 13,
          path: "assets[0].target",
          message: "exactly one of address (an IPv4 address) or target (a lab target name)",
        });
      });

      it("refuses an asset with neither, at the asset", () => {
        expect(problems().find((p) => p.path === "assets[1]")).to.include({
          line: 9,
          message: "exactly one of address (an IPv4 address) or target (a lab target name)",
        });
      });

      it("names the allowed criticalities", () => {
        const p = problems().find((x) => x.path === "assets[2].criticality");
        expect(p).to.include({ line: 14 });
        expect(p?.message).to.include('"critical"').and.to.include('"low"');
      });

      it("asks for a quoted version, a port in range, a known protocol and CVE ids", () => {
        const byPath = new Map(problems().map((p) => [p.path, p]));
        expect(byPath.get("assets[2].services[0].version")?.message).to.equal(
          'a version in quotes such as "1.22.1"',
        );
        expect(byPath.get("assets[2].services[1].port")).to.include({ line: 18 });
        expect(byPath.get("assets[2].services[1].protocol")?.message).to.include('"tcp"');
        expect(byPath.get("assets[2].services[1].cves[0]")?.message).to.equal(
          'a CVE id such as "CVE-2024-6387"',
        );
      });

      it("reports every problem of the file at once", () => {
        expect(problems()).to.have.lengthOf(7);
      });
    });
  });

  describe("placeInventory", () => {
    const assets = defaultContext().assets;

    it("places assets named by lab target at that target's address, and keeps assets by address", () => {
      const placed = placeInventory(assets, [
        { name: "web", address: "10.20.0.10" },
        { name: "dns", address: "10.20.0.12" },
      ]);
      expect(placed.map((a) => [a.name, a.address])).to.deep.equal([
        ["ssh-bastion", "10.20.0.11"],
        ["public-web", "10.20.0.10"],
        ["dmz-resolver", "10.20.0.12"],
      ]);
    });

    it("leaves out assets whose lab target this lab does not have", () => {
      const placed = placeInventory(assets, [{ name: "web", address: "10.20.0.30" }]);
      expect(placed.map((a) => a.name)).to.deep.equal(["ssh-bastion", "public-web"]);
      expect(assetAt(placed, "10.20.0.30")?.name).to.equal("public-web");
      expect(assetAt(placed, "10.20.0.12")).to.equal(undefined);
    });
  });
});
