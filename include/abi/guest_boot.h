/* The guest boot contract: how Keel loads a bare-metal guest image and what the guest finds at
 * entry. docs/guest-boot.md explains it; this header holds the numbers. */
#ifndef ABI_GUEST_BOOT_H
#define ABI_GUEST_BOOT_H

#include <stdint.h>

enum keel_entry_mode {
	KEEL_ENTRY_LONG64 = 0, /* 64-bit long mode, paging on: identity map of 0–4 GiB, 2 MiB pages */
	KEEL_ENTRY_PROT32 = 1, /* 32-bit protected mode, flat 4 GiB segments, paging off */
	KEEL_ENTRY_REAL = 2,   /* real mode, CS:IP = entry >> 4 : entry & 0xf */
};

/* Guest-physical layout of what Keel builds below the image. Guest RAM always starts at 0. */
#define KEEL_GUEST_START_INFO 0x1000ull   /* struct keel_start_info */
#define KEEL_GUEST_GDT        0x2000ull   /* null, code64 0x08, data 0x10, code32 0x18 */
#define KEEL_GUEST_PML4       0x3000ull   /* long mode: PML4; PDPT at +0x1000; 4 PDs at +0x2000 */
#define KEEL_GUEST_CMDLINE    0x9000ull   /* NUL-terminated, at most 4 KiB */
#define KEEL_GUEST_STACK_TOP  0x80000ull  /* initial RSP/ESP; real mode: SS:SP = 0x7000:0xfff0 */
#define KEEL_GUEST_IMAGE_MIN  0x10000ull  /* images load at or above this address */
#define KEEL_GUEST_FLAT_LOAD  0x100000ull /* flat binaries (real mode: KEEL_GUEST_IMAGE_MIN) */

#define KEEL_GUEST_SEL_CODE64 0x08
#define KEEL_GUEST_SEL_DATA   0x10
#define KEEL_GUEST_SEL_CODE32 0x18

#define KEEL_START_MAGIC       0x545254534c45454bull /* the bytes "KEELSTRT" */
#define KEEL_START_VERSION     1u
#define KEEL_START_MAX_REGIONS 16u

enum keel_region_kind {
	KEEL_REGION_RAM = 0,
	KEEL_REGION_TESTDEV = 1,   /* a test device (abi/testdev.h), in-core or forwarded */
	KEEL_REGION_FORWARDED = 2, /* another device forwarded to the service VM */
	KEEL_REGION_RING = 3,      /* service VM only: the request/response rings */
};

/* keel_start_region.flags */
#define KEEL_REGION_F_PORT      0x1u /* base and size are port numbers, not addresses */
#define KEEL_REGION_F_FORWARDED 0x2u /* answered by the service VM */
#define KEEL_REGION_F_POSTED    0x4u /* forwarded writes do not wait for the answer */

struct keel_start_region {
	uint64_t base; /* guest-physical */
	uint64_t size;
	uint32_t kind; /* enum keel_region_kind */
	uint32_t flags;
};

/* At entry RBX (and RDI in long mode) holds KEEL_GUEST_START_INFO. */
struct keel_start_info {
	uint64_t magic;
	uint32_t version;
	uint32_t size;       /* sizeof(struct keel_start_info) */
	uint32_t partition;  /* partition index */
	uint32_t vcpu;       /* this vCPU's index in the partition */
	uint32_t nr_vcpus;
	uint32_t entry_mode; /* enum keel_entry_mode */
	uint64_t ram_size;   /* guest RAM is [0, ram_size) */
	uint64_t image_start; /* guest-physical extent of the loaded image */
	uint64_t image_end;
	uint64_t cmdline;    /* guest-physical address of the command line */
	uint64_t tsc_khz;    /* Keel's measured TSC frequency, 0 if unknown */
	char name[32];       /* partition name, NUL-terminated */
	uint32_t nr_regions;
	uint32_t reserved;
	struct keel_start_region region[KEEL_START_MAX_REGIONS];
};

_Static_assert(sizeof(struct keel_start_region) == 24, "keel_start_region size");
_Static_assert(__builtin_offsetof(struct keel_start_info, name) == 72, "name offset");
_Static_assert(__builtin_offsetof(struct keel_start_info, region) == 112, "region offset");
_Static_assert(sizeof(struct keel_start_info) == 112 + 24 * KEEL_START_MAX_REGIONS, "size");

#endif
