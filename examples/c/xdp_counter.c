/* XDP counter: packets and bytes per IPv4 protocol, in the kernel's XDP hook.
 *
 * Every IPv4 frame (EtherType 0x0800 with a whole 20-byte IPv4 header) adds one packet and
 * its frame length in bytes to `per_proto[protocol]`; other frames are not counted. Frames
 * shorter than an Ethernet header are dropped (XDP_DROP), everything else passes (XDP_PASS).
 *
 *   chamelio abi --c-header -o build/chamelio.h
 *   clang -target bpf -O2 -g -I build -c examples/c/xdp_counter.c -o build/xdp_counter.o
 *   chamelio verify build/xdp_counter.o
 *   chamelio exec build/xdp_counter.o --engine kernel --packet <hex frame>
 */
#include "chamelio.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define IPV4_MIN_HLEN 20
#define IPV4_PROTO_OFF 9

struct counters {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct counters);
} per_proto SEC(".maps");

SEC(SEC_XDP)
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *frame = data;
	struct counters *c;
	__u32 proto;

	if (data + ETH_HLEN > data_end)
		return XDP_DROP;
	if (frame[12] != (ETH_P_IP >> 8) || frame[13] != (ETH_P_IP & 0xff))
		return XDP_PASS;
	if (data + ETH_HLEN + IPV4_MIN_HLEN > data_end)
		return XDP_PASS;
	proto = frame[ETH_HLEN + IPV4_PROTO_OFF];
	c = bpf_map_lookup_elem(&per_proto, &proto);
	if (c) {
		c->packets += 1;
		c->bytes += data_end - data;
	}
	return XDP_PASS;
}

LICENSE("GPL");
