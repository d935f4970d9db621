import { z } from "zod";

/** The lab a scenario describes: its DMZ targets and its extra traffic sources. */

export const labName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,30}$/, "a lower-case name of letters, digits and dashes, starting with a letter");

export const TARGET_KINDS = ["web", "ssh", "dns"] as const;
/**
 * What an extra traffic source is for. Attackers and scanners may send raw packets (nmap's SYN scans,
 * masscan); clients and monitors make ordinary connections only, as a user's machine would.
 */
const HOST_ROLES = ["attacker", "client", "monitor", "scanner"] as const;
/** outside: an external address; lan: the internal network behind the firewall; nat: behind a NAT router outside. */
const HOST_NETWORKS = ["outside", "lan", "nat"] as const;

export const TargetSchema = z
  .strictObject({
    name: labName.describe("how steps and expectations name this target"),
    kind: z
      .enum(TARGET_KINDS)
      .describe("web: nginx on 80/tcp; ssh: OpenSSH on 22/tcp; dns: unbound on 53/udp+tcp"),
    address: z.ipv4().optional().describe("an address in the DMZ 10.20.0.0/24 (default: 10.20.0.10, .11, …)"),
  })
  .describe("a DMZ server behind the firewall");

export const HostSchema = z
  .strictObject({
    name: labName.describe("what steps name in `from`"),
    role: z
      .enum(HOST_ROLES)
      .describe(
        "attacker and scanner may send raw packets; client and monitor make ordinary connections only",
      ),
    network: z
      .enum(HOST_NETWORKS)
      .default("outside")
      .describe(
        "outside: 198.18.0.0/24 (external); lan: 10.30.0.0/24 (internal, RFC 1918, routed through the firewall); nat: 192.168.50.0/24 behind a NAT router, seen as 198.18.0.2",
      ),
    address: z.ipv4().optional().describe("an address in the host's network (default: the next free one)"),
    build: z
      .string()
      .min(1)
      .optional()
      .describe(
        "a Dockerfile, relative to the scenario file, to build this host's image from (its folder is the context; it needs sleep and timeout, as Debian's coreutils has) instead of the attacker image",
      ),
  })
  .describe("an extra traffic source, built from the attacker image or from its own Dockerfile");

export type TargetSpec = z.output<typeof TargetSchema>;
export type HostSpec = z.output<typeof HostSchema>;
