import { z } from "zod";
import { inRanges, ipv4RangeField } from "../core/addresses.js";
import { expandPortSpec } from "../core/ports.js";

const cidr = ipv4RangeField("context files");

/** What SOCs document as the everyday sources of scan-like traffic. */
const ROLES = [
  "monitoring",
  "backup",
  "load-balancer",
  "vulnerability-management",
  "patch-distribution",
  "configuration-management",
  "resolver",
  "time-service",
  "other",
] as const;

const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
type Weekday = (typeof WEEKDAYS)[number];

/** Protocols whose probes carry a destination port, and ICMP, which carries none. */
const PORTED = ["tcp", "udp", "sctp"] as const;
const SERVICE_HINT = 'a service such as "22/tcp", "1-1024/tcp", "161,162/udp" or "icmp"';

export interface DeclaredService {
  readonly protocol: string;
  /** The declared ports; undefined for ICMP. */
  readonly ports?: readonly number[];
}

const service = z.string({ error: SERVICE_HINT }).transform((spec, ctx): DeclaredService => {
  if (spec === "icmp") return { protocol: "icmp" };
  const [ports = "", protocol = "", ...rest] = spec.split("/");
  const expanded = expandPortSpec(ports);
  if (rest.length > 0 || !(PORTED as readonly string[]).includes(protocol) || expanded === undefined) {
    ctx.addIssue({ code: "custom", message: `${SERVICE_HINT}, not "${spec}"` });
    return z.NEVER;
  }
  return { protocol, ports: expanded };
});

const HOURS = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;

const ScheduleSchema = z.strictObject({
  days: z
    .array(z.enum(WEEKDAYS, { error: `a weekday: ${WEEKDAYS.join(", ")}` }))
    .min(1)
    .exactOptional()
    .describe("the UTC weekdays it runs on"),
  hours: z
    .string()
    .regex(HOURS, 'a UTC time window such as "01:00-03:30" (it may cross midnight: "22:00-02:00")')
    .exactOptional()
    .describe("the UTC hours it runs in"),
});

/**
 * A system the SOC knows makes scan-like traffic as part of its job: who runs it, where it runs
 * from, and everything it is expected to touch. Inside the declaration its alerts end at `tier`;
 * outside it they escalate, saying where it stepped out.
 */
export const InfrastructureSchema = z.strictObject({
  name: z.string().min(1),
  role: z.enum(ROLES),
  owner: z.string().min(1),
  source: cidr,
  targets: z.array(cidr).min(1),
  services: z.array(service).min(1),
  schedule: ScheduleSchema.optional(),
  tier: z.enum(["suppressed", "l1"]).default("suppressed"),
});

export type InfrastructureEntry = z.output<typeof InfrastructureSchema>;

/** What a source did in its activity, as the declaration is checked against it. */
export interface ObservedActivity {
  readonly targets: readonly string[];
  /** Every probed port per protocol (none for ICMP). */
  readonly services: readonly { readonly transport: string; readonly ports: readonly number[] }[];
  /** Every UTC minute (ISO) with activity. */
  readonly minutes: readonly string[];
}

/** Every entry that declares the source (one host may serve several roles). */
export function declaredInfrastructure(
  entries: readonly InfrastructureEntry[],
  source: string,
): InfrastructureEntry[] {
  return entries.filter((e) => inRanges(source, [e.source]));
}

const LISTED = 10;

/** Every way the activity left its declaration, each as the analyst reads it; none: inside. */
export function outsideDeclaration(entry: InfrastructureEntry, activity: ObservedActivity): string[] {
  const found: string[] = [];
  const strayTargets = activity.targets.filter((t) => !inRanges(t, entry.targets));
  if (strayTargets.length > 0)
    found.push(
      `probed ${listed(strayTargets, "host")} outside its declared targets (${entry.targets.join(", ")})`,
    );
  for (const { transport, ports } of activity.services) {
    const declared = entry.services.filter((s) => s.protocol === transport);
    if (declared.length === 0) {
      found.push(`sent ${transport} probes, and it declares no ${transport} service`);
      continue;
    }
    if (transport === "icmp") continue;
    const allowed = new Set(declared.flatMap((s) => s.ports ?? []));
    const stray = ports.filter((p) => !allowed.has(p));
    if (stray.length > 0) found.push(`probed ${listed(stray.map(String), `undeclared ${transport} port`)}`);
  }
  if (entry.schedule) found.push(...offSchedule(entry.schedule, activity));
  return found;
}

function offSchedule(
  schedule: NonNullable<InfrastructureEntry["schedule"]>,
  activity: ObservedActivity,
): string[] {
  const found: string[] = [];
  const { days, hours } = schedule;
  if (days) {
    const off = activity.minutes.filter((m) => !days.includes(weekday(m)));
    const offDays = [...new Set(off.map((m) => `${weekday(m)} ${m.slice(0, 10)}`))];
    if (off.length > 0)
      found.push(
        `active in ${listed(off, "minute")} on ${offDays.join(" and ")}, outside its days (${days.join(", ")})`,
      );
  }
  if (hours) {
    const off = activity.minutes.filter((m) => !withinHours(hours, m));
    if (off.length > 0) found.push(`active in ${listed(off, "minute")} outside its hours (${hours} UTC)`);
  }
  return found;
}

function weekday(iso: string): Weekday {
  return WEEKDAYS[new Date(iso).getUTCDay()] as Weekday;
}

function withinHours(window: string, iso: string): boolean {
  const [, fromH, fromM, toH, toM] = HOURS.exec(window)?.map(Number) ?? [];
  const from = (fromH ?? 0) * 60 + (fromM ?? 0);
  const to = (toH ?? 0) * 60 + (toM ?? 0);
  const at = new Date(iso);
  const minute = at.getUTCHours() * 60 + at.getUTCMinutes();
  return from <= to ? minute >= from && minute <= to : minute >= from || minute <= to;
}

function listed(items: readonly string[], noun: string): string {
  const shown = items.slice(0, LISTED).join(", ");
  const more = items.length > LISTED ? `, and ${items.length - LISTED} more` : "";
  return `${items.length} ${noun}${items.length === 1 ? "" : "s"} (${shown}${more})`;
}
