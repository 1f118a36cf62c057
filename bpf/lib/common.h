/* SPDX-License-Identifier: GPL-2.0 */
/* Constants the BPF side needs that vmlinux.h does not carry (macros). */
#ifndef TCSEG_BPF_COMMON_H
#define TCSEG_BPF_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "tcseg.h"

#define TC_ACT_UNSPEC	(-1)
#define TC_ACT_OK	0
#define TC_ACT_SHOT	2

#define ETH_P_IP	0x0800
#define ETH_P_ARP	0x0806
#define ETH_HLEN	14
#define ARPHRD_ETHER	1

#define IP_MF		0x2000
#define IP_OFFSET	0x1fff

#define TCP_FL_FIN	0x01
#define TCP_FL_SYN	0x02
#define TCP_FL_RST	0x04
#define TCP_FL_PSH	0x08
#define TCP_FL_ACK	0x10

#define ICMP_ECHOREPLY		0
#define ICMP_DEST_UNREACH	3
#define ICMP_SOURCE_QUENCH	4
#define ICMP_REDIRECT		5
#define ICMP_ECHO		8
#define ICMP_TIME_EXCEEDED	11
#define ICMP_PARAMETERPROB	12

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6		58	/* a macro in linux/in6.h */
#endif

#define NSEC_PER_MSEC	1000000ULL
#define NSEC_PER_SEC	1000000000ULL

#endif
