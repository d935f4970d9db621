# pair-flows.awk: softflowd's unidirectional flow records -> one bidirectional record per connection,
# in the shape Elastic's network_traffic integration reports flows: the source is the side that
# opened the connection, the destination the side that answered.
#
# Input: nfdump records, one compact JSON object per line (flow-sensor joins nfdump -o json). The
# records of the previous batch that found no partner come first, marked by a line "#held"; then
# "#batch" and the new batch. softflowd exports both directions of a flow when it expires, so a
# partner is in the same batch unless a rotation fell between them: a record is held for one
# batch before it is reported one-sided (an unanswered probe).
# Output: every input record unchanged (the unidirectional view), then one {"type":"BIFLOW",...}
# line per connection, and {"type":"ICMP",...} lines for ICMP messages as Packetbeat's ICMP
# transactions report them (see transaction); the records still unpaired go to the file named by -v held=FILE
# (-v final=1: nothing is held, everything unpaired is reported one-sided).
#
# Which side opened the connection: the one whose first packet came first. nfdump times are
# milliseconds, so a lab's round trip often ties; then, in order:
#   TCP   the side that sent SYN without ACK opened it; a side that only reset (R, A+R) answered;
#   ICMP  the request (echo, timestamp, information, address mask) opened it;
#   else  the side whose destination port is the lower one (a service port) opened it;
#   else  the record softflowd exported first.

function field(line, key,    start, rest, stop) {
  start = index(line, "\"" key "\":")
  if (start == 0) return ""
  rest = substr(line, start + length(key) + 3)
  if (substr(rest, 1, 1) == "\"") {
    rest = substr(rest, 2)
    return substr(rest, 1, index(rest, "\"") - 1)
  }
  stop = match(rest, /[,}]/)
  return stop ? substr(rest, 1, stop - 1) : rest
}

function has(flags, flag) { return index(flags, flag) > 0 }

function address(line, which,    v) {
  v = field(line, which "4_addr")
  return v != "" ? v : field(line, which "6_addr")
}

# ICMP request type -> its reply type; reply types map to themselves through reply_of.
function icmp_family(type) {
  if (type == 8 || type == 0) return "echo"
  if (type == 128 || type == 129) return "echo6"
  if (type == 13 || type == 14) return "timestamp"
  if (type == 15 || type == 16) return "information"
  if (type == 17 || type == 18) return "mask"
  return ""
}
function icmp_request(type) { return type == 8 || type == 13 || type == 15 || type == 17 || type == 128 }

function is_icmp(proto) { return proto == 1 || proto == 58 }

# The ICMP errors Packetbeat reports with status Error: unreachable, source quench, time exceeded,
# parameter problem (ICMPv6: unreachable, packet too big, time exceeded, parameter problem).
function icmp_error(proto, type) {
  if (proto == 58) return type >= 1 && type <= 4
  return type == 3 || type == 4 || type == 11 || type == 12
}

# The key under which a record waits for its partner, and the key its partner is filed under.
function own_key(line,    proto, type, family) {
  proto = field(line, "proto")
  if (is_icmp(proto)) {
    type = field(line, "icmp_type") + 0
    family = icmp_family(type)
    if (family == "") return ""
    return icmp_request(type) ? proto "|" family "|" address(line, "src") "|" address(line, "dst") \
                              : proto "|" family "|" address(line, "dst") "|" address(line, "src")
  }
  return proto "|" address(line, "src") "|" field(line, "src_port") "|" address(line, "dst") "|" field(line, "dst_port")
}
function partner_key(line,    proto) {
  proto = field(line, "proto")
  if (is_icmp(proto)) return own_key(line)
  return proto "|" address(line, "dst") "|" field(line, "dst_port") "|" address(line, "src") "|" field(line, "src_port")
}

function opens_tcp(flags) { return has(flags, "S") && !has(flags, "A") }
function only_resets(flags) { return has(flags, "R") && !has(flags, "S") && !has(flags, "F") && !has(flags, "P") && !has(flags, "U") }

# 1 when record a opened the connection that a and b are the two directions of.
function a_opened(a, b,    fa, fb, proto, pa, pb) {
  fa = field(a, "first"); fb = field(b, "first")
  if (fa < fb) return 1
  if (fb < fa) return 0
  proto = field(a, "proto")
  if (proto == 6) {
    fa = field(a, "tcp_flags"); fb = field(b, "tcp_flags")
    if (opens_tcp(fa) != opens_tcp(fb)) return opens_tcp(fa)
    if (only_resets(fa) != only_resets(fb)) return only_resets(fb)
  }
  if (is_icmp(proto)) return icmp_request(field(a, "icmp_type") + 0)
  pa = field(a, "dst_port") + 0; pb = field(b, "dst_port") + 0
  if (pa != pb) return pa < pb
  return 1
}

function number(v) { return v == "" ? 0 : v + 0 }
function earlier(x, y) { return x < y ? x : y }
function later(x, y) { return x > y ? x : y }

function quoted(key, v) { return ",\"" key "\":\"" v "\"" }
function numeric(key, v) { return ",\"" key "\":" number(v) }

# One BIFLOW line: a opened the connection; b, its answer, may be "" (no answer was seen).
function biflow(a, b,    out, proto, answered) {
  proto = field(a, "proto")
  answered = b != ""
  out = "{\"type\":\"BIFLOW\""
  out = out quoted("first", answered ? earlier(field(a, "first"), field(b, "first")) : field(a, "first"))
  out = out quoted("last", answered ? later(field(a, "last"), field(b, "last")) : field(a, "last"))
  out = out numeric("proto", proto)
  out = out quoted("src_addr", address(a, "src")) quoted("dst_addr", address(a, "dst"))
  out = out quoted("ip_version", field(a, "src4_addr") != "" ? "ipv4" : "ipv6")
  if (!is_icmp(proto)) out = out numeric("src_port", field(a, "src_port")) numeric("dst_port", field(a, "dst_port"))
  else out = out numeric("icmp_type", field(a, "icmp_type")) numeric("icmp_code", field(a, "icmp_code"))
  out = out numeric("src_packets", field(a, "in_packets")) numeric("src_bytes", field(a, "in_bytes"))
  out = out numeric("dst_packets", answered ? field(b, "in_packets") : 0)
  out = out numeric("dst_bytes", answered ? field(b, "in_bytes") : 0)
  if (proto == 6) {
    out = out quoted("src_tcp_flags", field(a, "tcp_flags"))
    if (answered) out = out quoted("dst_tcp_flags", field(b, "tcp_flags"))
  }
  return out "}"
}

# The ICMP lines of a record, as Packetbeat reports ICMP: one per message. A query (echo,
# timestamp, information, address mask) with its reply — softflowd folds repeated queries of one
# kind between two hosts into one record of n packets, the first m of them answered when b holds m
# replies; a message that expects no answer (unreachable, redirect, time exceeded…) alone, marked
# "lone". A reply is told with its query. Each side's bytes are one message's payload as
# Packetbeat's decoder counts it: less the IP header and the ICMP header (8 bytes for ICMPv4, 4 for
# ICMPv6, whose identifier and sequence count as payload).
function transaction(a, b,    out, answered, queries, replies, header, i, lines, type, lone) {
  if (!is_icmp(field(a, "proto"))) return ""
  type = field(a, "icmp_type") + 0
  lone = icmp_family(type) == ""
  if (!lone && !icmp_request(type)) return ""
  header = field(a, "src4_addr") != "" ? 20 + 8 : 40 + 4
  queries = field(a, "in_packets") + 0
  replies = b != "" ? field(b, "in_packets") + 0 : 0
  lines = ""
  for (i = 1; i <= queries; i++) {
    answered = i <= replies
    out = "{\"type\":\"ICMP\""
    out = out quoted("first", answered ? earlier(field(a, "first"), field(b, "first")) : field(a, "first"))
    out = out quoted("last", answered ? later(field(a, "last"), field(b, "last")) : field(a, "last"))
    out = out numeric("proto", field(a, "proto"))
    out = out quoted("src_addr", address(a, "src")) quoted("dst_addr", address(a, "dst"))
    out = out quoted("ip_version", field(a, "src4_addr") != "" ? "ipv4" : "ipv6")
    out = out numeric("request_type", field(a, "icmp_type")) numeric("request_code", field(a, "icmp_code"))
    if (answered) out = out numeric("response_type", field(b, "icmp_type")) numeric("response_code", field(b, "icmp_code"))
    out = out numeric("src_bytes", message_bytes(a, header)) numeric("dst_bytes", answered ? message_bytes(b, header) : 0)
    if (lone) out = out numeric("lone", 1) (icmp_error(field(a, "proto"), type) ? numeric("error", 1) : "")
    lines = lines "\n" out "}"
  }
  return lines
}

# The data of one message of a folded record: its bytes per packet less the headers.
function message_bytes(r, header,    n) {
  n = int((field(r, "in_bytes") + 0) / (field(r, "in_packets") + 0)) - header
  return n > 0 ? n : 0
}

function connection(a, b) { return biflow(a, b) transaction(a, b) }

function pair_or_wait(line, from_held,    key, partner, k) {
  partner = partner_key(line)
  if (partner != "" && (partner in waiting)) {
    k = waiting[partner]
    delete waiting[partner]
    pending[k] = ""
    if (a_opened(records[k], line)) paired[++npaired] = connection(records[k], line)
    else paired[++npaired] = connection(line, records[k])
    return
  }
  key = own_key(line)
  records[++nrecords] = line
  held_before[nrecords] = from_held
  pending[nrecords] = line
  if (key != "" && !(key in waiting)) waiting[key] = nrecords
}

$0 == "#held" { from_held = 1; next }
$0 == "#batch" { from_held = 0; next }
/^\{/ {
  if (!from_held) print
  pair_or_wait($0, from_held)
}

END {
  for (i = 1; i <= npaired; i++) print paired[i]
  if (held != "") printf "" > held
  for (i = 1; i <= nrecords; i++) {
    if (pending[i] == "") continue
    if (final || held_before[i]) print connection(pending[i], "")
    else print pending[i] > held
  }
}
