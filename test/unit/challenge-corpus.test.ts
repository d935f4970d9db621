import { expect } from "chai";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CORPUS_TAG,
  corpusSeed,
  DEFAULT_CORPUS_SEED,
  DEFAULT_CORPUS_SIZE,
  drawCorpus,
  writeCorpus,
} from "../../bench/lib/challenge-corpus.js";
import { seededRandom } from "../../bench/lib/seeded-random.js";
import { attackingHosts, isBenign } from "../../bench/matrix-figures.js";
import { ScanproofError } from "../../harness/core/errors.js";
import { loadScenario, type Scenario } from "../../harness/scenario/load.js";

const SEEDS = Array.from({ length: 40 }, (_, i) => i);

describe("seeded random draws", () => {
  it("draws the same numbers from the same seed, and others from another", () => {
    const draws = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 5 }, () => random.next());
    };
    expect(draws(7)).to.deep.equal(draws(7));
    expect(draws(7)).not.to.deep.equal(draws(8));
  });

  it("keeps integers within their bounds and samples distinct items", () => {
    const random = seededRandom(1);
    const ints = Array.from({ length: 500 }, () => random.int(3, 5));
    expect(new Set(ints)).to.deep.equal(new Set([3, 4, 5]));
    const sample = random.sample([1, 2, 3, 4, 5, 6], 4);
    expect(new Set(sample).size).to.equal(4);
    expect(random.sample([1, 2], 5)).to.have.lengthOf(2);
  });
});

describe("challenge corpus", () => {
  let dir: string;
  const corpora = new Map<number, Scenario[]>();

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "scanproof-corpus-"));
    for (const seed of SEEDS) corpora.set(seed, writeCorpus(join(dir, String(seed)), seed));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const all = () => [...corpora.values()].flat();

  it("draws the same corpus from the same seed, and another from another", () => {
    expect(drawCorpus(DEFAULT_CORPUS_SEED)).to.deep.equal(drawCorpus(DEFAULT_CORPUS_SEED));
    expect(drawCorpus(DEFAULT_CORPUS_SEED)).to.have.lengthOf(DEFAULT_CORPUS_SIZE);
    expect(drawCorpus(1)).not.to.deep.equal(drawCorpus(2));
  });

  it("keeps the default corpus the bench draws: a change to the generator changes it, and needs a rerun", () => {
    expect(drawCorpus(DEFAULT_CORPUS_SEED).map((d) => d.id)).to.deep.equal([
      "corpus-01-nmap-sf",
      "corpus-02-benign",
      "corpus-03-benign",
      "corpus-04-benign",
      "corpus-05-nmap-sn",
      "corpus-06-nmap-st",
      "corpus-07-nmap-sa",
      "corpus-08-nmap-sn",
      "corpus-09-nmap-sn",
      "corpus-10-nmap-sx",
      "corpus-11-benign",
      "corpus-12-nmap-sa",
    ]);
  });

  it("writes files that each load as a scenario, scope checks included", () => {
    for (const seed of SEEDS) {
      const folder = join(dir, String(seed));
      const files = readdirSync(folder).filter((f) => f.endsWith(".yaml"));
      expect(files, `seed ${seed}`).to.have.lengthOf(DEFAULT_CORPUS_SIZE);
      for (const f of files) expect(loadScenario(join(folder, f)).tags).to.include(CORPUS_TAG);
    }
  });

  it("draws over both tools, every nmap scan type, both sources, both kinds of target and benign mixes", () => {
    const steps = all().flatMap((s) => s.steps);
    const scanTypes = new Set(
      steps.flatMap((s) => (s.tool === "nmap" ? s.args.filter((a) => /^-s[A-Z]$|^-sn$/.test(a)) : [])),
    );
    expect([...scanTypes].sort()).to.deep.equal(["-sA", "-sF", "-sN", "-sS", "-sT", "-sU", "-sX", "-sn"]);
    expect(steps.some((s) => s.tool === "masscan")).to.equal(true);
    const scans = steps.filter((s) => s.tool === "nmap" || s.tool === "masscan");
    expect(new Set(scans.map((s) => s.from))).to.deep.equal(new Set(["attacker", "insider"]));
    expect(new Set(scans.map((s) => s.target.includes("/")))).to.deep.equal(new Set([true, false]));
    const timings = new Set(
      steps.flatMap((s) => (s.tool === "nmap" ? s.args.filter((a) => /^-T\d$|^--scan-delay$/.test(a)) : [])),
    );
    expect([...timings].sort()).to.deep.equal(["--scan-delay", "-T2", "-T3", "-T4", "-T5"]);
    const benign = all().filter(isBenign);
    expect(benign.length).to.be.greaterThan(0);
    const mixed = all().filter((s) => !isBenign(s) && s.steps.some((step) => step.tool === "http"));
    expect(mixed.length).to.be.greaterThan(0);
  });

  it("makes benign draws silent and has an attack claim one alert, from its scanning host only", () => {
    for (const s of all()) {
      if (isBenign(s)) {
        expect(s.expect.silent, s.id).to.equal(true);
        expect(s.steps.every((step) => step.tool === "http")).to.equal(true);
        continue;
      }
      const scan = s.steps.find((step) => step.tool === "nmap" || step.tool === "masscan");
      expect(s.expect.alerts.map((a) => a.from)).to.deep.equal([scan && "from" in scan ? scan.from : ""]);
      expect(attackingHosts(s), s.id).to.have.lengthOf(1);
    }
  });

  it("takes its seed from SCANPROOF_CORPUS_SEED and refuses one that is not a 32-bit whole number", () => {
    expect(corpusSeed({})).to.equal(DEFAULT_CORPUS_SEED);
    expect(corpusSeed({ SCANPROOF_CORPUS_SEED: "" })).to.equal(DEFAULT_CORPUS_SEED);
    expect(corpusSeed({ SCANPROOF_CORPUS_SEED: "42" })).to.equal(42);
    for (const bad of ["-1", "1.5", "abc", "4294967296"])
      expect(() => corpusSeed({ SCANPROOF_CORPUS_SEED: bad }), bad).to.throw(ScanproofError, /whole number/);
  });
});
