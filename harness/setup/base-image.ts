import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { docker, followStream, imageExists } from "../docker/client.js";
import { ScanproofError } from "../core/errors.js";
import { cacheDir } from "../core/paths.js";
import { say } from "../core/progress.js";
import { commandExists, runChecked } from "../core/process.js";
import { aptInstall } from "./apt.js";

export const BASE_IMAGE = "scanproof/base:bookworm";
const REGISTRY_IMAGE = "debian:bookworm-slim";
const REGISTRY_TIMEOUT_MS = 20_000;
const SUITE = "bookworm";

/**
 * The Debian base every lab image builds FROM: the registry's debian:bookworm-slim where a registry
 * answers, otherwise a debootstrap minbase root file system imported into Docker. Cached by tag.
 */
export async function ensureBaseImage(): Promise<string> {
  if (await imageExists(BASE_IMAGE)) return "cached";
  if (await pullFromRegistry()) return `pulled ${REGISTRY_IMAGE}`;
  await importDebootstrapRootfs();
  return "built with debootstrap";
}

async function pullFromRegistry(): Promise<boolean> {
  try {
    const stream: NodeJS.ReadableStream = await withTimeout(docker().pull(REGISTRY_IMAGE));
    await withTimeout(followStream(stream));
    await docker()
      .getImage(REGISTRY_IMAGE)
      .tag({ repo: BASE_IMAGE.split(":")[0] ?? BASE_IMAGE, tag: SUITE });
    say(`  ${REGISTRY_IMAGE} pulled from the registry`);
    return true;
  } catch (error) {
    say(`  no registry image (${(error as Error).message.split("\n")[0] ?? ""}); building with debootstrap`);
    return false;
  }
}

async function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${REGISTRY_TIMEOUT_MS / 1000} s`)),
      REGISTRY_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** debootstraps a minbase root file system (cached in the cache folder) and imports it as `image`. */
export async function importDebootstrapRootfs(image = BASE_IMAGE): Promise<void> {
  if (!(await commandExists("debootstrap"))) await aptInstall(["debootstrap"], "debootstrap");
  const rootfs = join(cacheDir(), `rootfs-${SUITE}`);
  const complete = join(rootfs, ".scanproof-complete");
  if (!existsSync(complete)) {
    rmSync(rootfs, { recursive: true, force: true });
    const mirror = hostDebianMirror();
    say(`  debootstrap --variant=minbase ${SUITE}${mirror ? ` from ${mirror}` : ""} (about a minute)`);
    await runChecked("debootstrap", ["--variant=minbase", SUITE, rootfs, ...(mirror ? [mirror] : [])]);
    writeAptSources(rootfs, mirror);
    writeFileSync(complete, new Date().toISOString());
  }
  const tar = spawn("tar", ["-C", rootfs, "--exclude=./.scanproof-complete", "-c", "."], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [repo, tag] = image.split(":") as [string, string];
  const stream: NodeJS.ReadableStream = await docker().importImage(tar.stdout, {
    repo,
    tag,
    changes: ["ENV DEBIAN_FRONTEND=noninteractive", 'CMD ["bash"]'],
  });
  await followStream(stream);
  if (!(await imageExists(image))) throw new ScanproofError(`docker import did not produce ${image}.`);
}

/** The Debian mirror this host already uses, so the lab images fetch from the same place. */
function hostDebianMirror(): string | undefined {
  for (const file of ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"]) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const deb822 = /^URIs:\s*(\S+)/m.exec(text);
    if (deb822?.[1] && !deb822[1].includes("security")) return deb822[1];
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/m.exec(text);
    if (oneLine?.[1] && !oneLine[1].includes("security")) return oneLine[1];
  }
  return undefined;
}

/** Current packages need updates, security and (for Suricata) backports in the image's sources. */
function writeAptSources(rootfs: string, mirror: string | undefined): void {
  const sourcesList = join(rootfs, "etc/apt/sources.list");
  const main = mirror ?? /^deb\s+(\S+)/m.exec(readFileSync(sourcesList, "utf8"))?.[1];
  if (!main) throw new ScanproofError(`Cannot tell which Debian mirror debootstrap used (${sourcesList}).`);
  const security = main.replace(/\/debian\/?$/, "/debian-security");
  const lines = [
    `deb ${main} ${SUITE} main`,
    `deb ${main} ${SUITE}-updates main`,
    `deb ${main} ${SUITE}-backports main`,
    `deb ${security} ${SUITE}-security main`,
  ];
  writeFileSync(sourcesList, `${lines.join("\n")}\n`);
}
