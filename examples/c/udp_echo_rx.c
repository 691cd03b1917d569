/* UDP echo on the chamelio/rx hook: answer datagrams to port 7 in the fast path.
 *
 * An IPv4 (no options, not fragmented) UDP datagram to port 7 is turned around in place:
 * Ethernet, IP and UDP source and destination are swapped and the packet is transmitted
 * (CHAMELIO_TX). Swapping leaves both checksums valid (a one's-complement sum does not depend
 * on the order of its words), so nothing is recomputed. Everything else goes to the tenant's
 * slow path (CHAMELIO_PUNT). `echo_stats` counts both outcomes.
 *
 *   chamelio abi --c-header -o build/chamelio.h
 *   clang -target bpf -O2 -g -I build -c examples/c/udp_echo_rx.c -o build/udp_echo_rx.o
 *   chamelio verify build/udp_echo_rx.o
 */
#include "chamelio.h"

#define ETH_HLEN 14
#define ETH_ALEN 6
#define ETH_P_IP 0x0800
#define IPPROTO_UDP 17
#define IP_MF_OFFSET 0x3fff /* more-fragments flag and fragment offset */
#define ECHO_PORT 7

struct ethhdr {
	__u8 h_dest[ETH_ALEN];
	__u8 h_source[ETH_ALEN];
	__u16 h_proto;
};

struct iphdr {
	__u8 ver_ihl;
	__u8 tos;
	__u16 tot_len;
	__u16 id;
	__u16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__u16 check;
	__u32 saddr;
	__u32 daddr;
};

struct udphdr {
	__u16 source;
	__u16 dest;
	__u16 len;
	__u16 check;
};

enum { STAT_ECHOED = 0, STAT_PUNTED = 1, STAT_COUNT };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} echo_stats SEC(".maps");

static __always_inline int count(__u32 stat, int verdict)
{
	__u64 *n = bpf_map_lookup_elem(&echo_stats, &stat);

	if (n)
		*n += 1;
	return verdict;
}

SEC(SEC_CHAMELIO_RX)
int udp_echo(struct chamelio_ctx *ctx)
{
	void *data = ctx->data;
	void *data_end = ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + ETH_HLEN;
	struct udphdr *udp = data + ETH_HLEN + sizeof(*ip);
	__u8 mac[ETH_ALEN];
	__u32 addr;
	__u16 port;

	if ((void *)(udp + 1) > data_end)
		return count(STAT_PUNTED, CHAMELIO_PUNT);
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ver_ihl != 0x45 ||
	    ip->protocol != IPPROTO_UDP || (ip->frag_off & bpf_htons(IP_MF_OFFSET)) ||
	    udp->dest != bpf_htons(ECHO_PORT))
		return count(STAT_PUNTED, CHAMELIO_PUNT);

	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	addr = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = addr;
	port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	return count(STAT_ECHOED, CHAMELIO_TX);
}

LICENSE("GPL");
