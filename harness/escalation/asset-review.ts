import type { Asset } from "../context/inventory.js";
import type { AnsweredService } from "./post-scan-events.js";
import type { PostScanFinding, PostScanKind } from "./post-scan.js";

/** One service of a scanned host that answered the scan, held against the inventory's declaration. */
export interface ReviewedService {
  readonly port: number;
  readonly transport: "tcp" | "udp";
  readonly declared: boolean;
  readonly product?: string;
  readonly version?: string;
  readonly cves: readonly string[];
  /** The connection record that shows it answered. */
  readonly evidence: { readonly index: string; readonly id: string };
  /** For an exposed service the inventory does not declare: the forward rule that closes it. */
  readonly closeRule?: string;
}

/** The playbook's asset review of one scanned host. */
export interface AssetReview {
  readonly host: string;
  /** The inventory's asset at the address, when it has one. */
  readonly asset?: { readonly name: string; readonly criticality: string };
  /** What answered; undefined when the lab recorded no connection records (no flow sensor). */
  readonly answered?: readonly ReviewedService[];
  /** Declared services that did not answer the scan. */
  readonly silentDeclared: readonly string[];
  /** What followed the scan on this host (post-scan findings). */
  readonly postScan: readonly PostScanKind[];
}

/** The nftables rule that drops new connections to one service of one host at the perimeter. */
export function closeServiceRule(host: string, port: number, transport: "tcp" | "udp"): string {
  return `nft insert rule inet filter forward ip daddr ${host} ${transport} dport ${port} ct state new counter drop`;
}

/**
 * Every scanned host reviewed: each service that answered, whether the inventory declares it (an
 * exposed service it does not declare is a finding, with the rule that closes it), the CVEs the
 * inventory knows for it, the declared services that stayed silent, and what followed the scan there.
 */
export function reviewAssets(
  scanned: readonly string[],
  answered: readonly AnsweredService[] | undefined,
  inventory: readonly Asset[],
  postScan: readonly PostScanFinding[],
): AssetReview[] {
  return scanned.map((host) => {
    const asset = inventory.find((a) => a.address === host);
    const declared = asset?.services ?? [];
    const open = answered?.filter((s) => s.host === host);
    const reviewed = open?.map((s): ReviewedService => {
      const d = declared.find((x) => x.port === s.port && x.protocol === s.transport);
      return {
        port: s.port,
        transport: s.transport,
        declared: d !== undefined,
        ...(d?.product === undefined ? {} : { product: d.product }),
        ...(d?.version === undefined ? {} : { version: d.version }),
        cves: d?.cves ?? [],
        evidence: { index: s.index, id: s.id },
        ...(d === undefined ? { closeRule: closeServiceRule(host, s.port, s.transport) } : {}),
      };
    });
    return {
      host,
      ...(asset ? { asset: { name: asset.name, criticality: asset.criticality } } : {}),
      ...(reviewed ? { answered: reviewed.sort((a, b) => a.port - b.port) } : {}),
      silentDeclared: open
        ? declared
            .filter((d) => !open.some((s) => s.port === d.port && s.transport === d.protocol))
            .map((d) => `${d.port}/${d.protocol}`)
        : [],
      postScan: [...new Set(postScan.filter((f) => f.host === host).map((f) => f.kind))],
    };
  });
}
