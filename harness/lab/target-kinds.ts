import type { LogSourceName } from "../core/vocabulary.js";

/** A port a target serves, with the transport and the service name nmap gives it. */
export interface Service {
  readonly port: number;
  readonly transport: "tcp" | "udp";
  readonly name: string;
}

/**
 * The built-in target kinds: each a lab image of the same name (containers/<kind>/) running a real
 * Debian service, which listens where `SCANPROOF_PORT_<default port>` says (a `ports:` move).
 */
export const BUILTIN_KINDS = {
  web: { services: [{ port: 80, transport: "tcp", name: "http" }], what: "nginx on 80/tcp" },
  https: {
    services: [{ port: 443, transport: "tcp", name: "https" }],
    what: "nginx serving TLS on 443/tcp with a certificate of the lab's own CA",
  },
  ssh: {
    services: [{ port: 22, transport: "tcp", name: "ssh" }],
    what: "OpenSSH on 22/tcp (user lab, password lab)",
  },
  dns: {
    services: [
      { port: 53, transport: "udp", name: "domain" },
      { port: 53, transport: "tcp", name: "domain" },
    ],
    what: "unbound on 53/udp+tcp",
  },
  smtp: { services: [{ port: 25, transport: "tcp", name: "smtp" }], what: "Postfix on 25/tcp" },
  ftp: {
    services: [{ port: 21, transport: "tcp", name: "ftp" }],
    what: "vsftpd (anonymous and user lab, password lab; read-only) on 21/tcp",
  },
  smb: {
    services: [
      { port: 445, transport: "tcp", name: "microsoft-ds" },
      { port: 139, transport: "tcp", name: "netbios-ssn" },
    ],
    what: "Samba smbd (a guest share; user lab, password lab) on 445/tcp and 139/tcp",
  },
  telnet: {
    services: [{ port: 23, transport: "tcp", name: "telnet" }],
    what: "inetutils telnetd under inetd on 23/tcp (user lab, password lab)",
  },
  snmp: {
    services: [{ port: 161, transport: "udp", name: "snmp" }],
    what: 'Net-SNMP snmpd (community "public", read-only) on 161/udp',
  },
  db: {
    services: [{ port: 5432, transport: "tcp", name: "postgresql" }],
    what: "PostgreSQL 15 (user, password and database lab) on 5432/tcp",
  },
} as const satisfies Record<string, { services: readonly Service[]; what: string }>;

export type BuiltinKind = keyof typeof BUILTIN_KINDS;
export const BUILTIN_KIND_NAMES = Object.keys(BUILTIN_KINDS) as [BuiltinKind, ...BuiltinKind[]];

/**
 * The log source a target kind writes and the shipper indexes (a web server its access log, a DNS
 * server its replies, an SSH, FTP, database, Telnet or SMB server its logins).
 */
export const SOURCE_BY_KIND: Partial<Record<BuiltinKind, LogSourceName>> = {
  web: "web",
  dns: "dns",
  ssh: "auth",
  ftp: "auth",
  db: "auth",
  telnet: "auth",
  smb: "auth",
};
