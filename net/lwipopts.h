/*
 * lwipopts.h - lwIP configuration for Theseus-C: NO_SYS=1 raw API, IPv4 with
 * ARP, ICMP, UDP, DHCP and TCP; heap allocations through kmalloc; lwIP is
 * only ever called from the kernel main loop (never from interrupts).
 */
#ifndef THESEUS_LWIPOPTS_H
#define THESEUS_LWIPOPTS_H

/* ---- platform ---------------------------------------------------------- */
#define NO_SYS                     1
#define SYS_LIGHTWEIGHT_PROT       0   /* single-threaded; IRQs never enter lwIP */
#define LWIP_SOCKET                0
#define LWIP_NETCONN               0
#define LWIP_NETIF_API             0

/* ---- memory ------------------------------------------------------------ */
#define MEM_ALIGNMENT              8
#define MEM_LIBC_MALLOC            1   /* pbuf RAM etc. from the kernel heap */
#define mem_clib_malloc            kmalloc
#define mem_clib_free              kfree
#define mem_clib_calloc            kcalloc
#define MEMP_NUM_PBUF              64
#define MEMP_NUM_UDP_PCB           16
#define MEMP_NUM_TCP_PCB           8
#define MEMP_NUM_TCP_PCB_LISTEN    4
#define MEMP_NUM_TCP_SEG           64
#define MEMP_NUM_SYS_TIMEOUT       (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 4)
#define PBUF_POOL_SIZE             64
#define PBUF_POOL_BUFSIZE          1536  /* a whole frame fits one pool pbuf */

/* ---- protocols --------------------------------------------------------- */
#define LWIP_IPV4                  1
#define LWIP_IPV6                  0
#define LWIP_ARP                   1
#define LWIP_ETHERNET              1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
#define ARP_QUEUEING               1
#define LWIP_ICMP                  1
#define LWIP_RAW                   0
#define LWIP_UDP                   1
#define LWIP_TCP                   1
#define LWIP_DHCP                  1
#define DHCP_DOES_ARP_CHECK        0   /* no 1 s probe wait after the lease */
#define LWIP_AUTOIP                0
#define LWIP_IGMP                  0
#define LWIP_DNS                   0
#define IP_REASSEMBLY              1
#define IP_FRAG                    1
#define IP_REASS_MAX_PBUFS         16
#define MEMP_NUM_FRAG_PBUF         16  /* a reply of NET_UDP_DGRAM_MAX: 16 fragments */
#define TCP_MSS                    1460
#define TCP_WND                    (8 * TCP_MSS)
#define TCP_SND_BUF                (8 * TCP_MSS)
#define LWIP_TCP_KEEPALIVE         0
#define LWIP_CHECKSUM_ON_COPY      0

/* ---- netif ------------------------------------------------------------- */
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK   1
#define LWIP_NETIF_HOSTNAME        0
#define LWIP_SINGLE_NETIF          0
#define ETH_PAD_SIZE               0

/* ---- diagnostics ------------------------------------------------------- */
#define LWIP_STATS                 0
#define LWIP_DEBUG                 0
#define LWIP_PERF                  0
#define LWIP_DBG_TYPES_ON          0

#endif
