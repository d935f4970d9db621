/*
 * LD_PRELOAD shim for softflowd: switch its live capture to libpcap's immediate mode.
 *
 * softflowd 1.1.0 opens the interface with pcap_create() and a buffer timeout of 0. libpcap 1.10
 * on Linux then uses a TPACKET_V3 ring whose 256 KiB blocks are handed to the reader only when they
 * are full ("timeout 0" = never retire a partly filled block), so the packets of a short scan sit in
 * the kernel until about 1,800 more packets arrive and their flows are never exported.
 * Immediate mode makes libpcap use TPACKET_V2, which delivers every packet at once.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

typedef struct pcap pcap_t;

int pcap_activate(pcap_t *p)
{
	static int (*real_activate)(pcap_t *);
	int (*set_immediate)(pcap_t *, int);

	if (real_activate == NULL)
		real_activate = (int (*)(pcap_t *))dlsym(RTLD_NEXT, "pcap_activate");
	set_immediate = (int (*)(pcap_t *, int))dlsym(RTLD_NEXT, "pcap_set_immediate_mode");
	if (set_immediate == NULL || set_immediate(p, 1) != 0)
		fprintf(stderr, "pcap-immediate: could not enable immediate mode\n");
	return real_activate(p);
}
