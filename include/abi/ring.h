/* The ring ABI between Keel's core and the service VM (docs/ring.md is the specification).
 *
 * One shared area, mapped into the service VM at a configured guest-physical address:
 *   page 0             struct keel_ring_header (version, geometry, indices, device table)
 *   req_offset         request slots  (core produces, service consumes)
 *   rsp_offset         response slots (service produces, core consumes)
 * Slot counts are powers of two; indices are free-running u32 counters (slot = idx & (n-1)).
 * Each index lives in its own 64-byte line and has exactly one writer. The core never trusts
 * anything the service VM writes: indices are range-checked, answers checked against the core's
 * own copy of the pending request. Every field is little-endian and fixed-width. */
#ifndef ABI_RING_H
#define ABI_RING_H

#include <stdint.h>

#define KEEL_RING_MAGIC          0x474e49524c45454bull /* the bytes "KEELRING" */
#define KEEL_RING_VERSION_MAJOR  1u
#define KEEL_RING_VERSION_MINOR  0u
#define KEEL_RING_DATA_MAX       256u  /* bytes one slot carries (= EMUL_BATCH_MAX_BYTES) */
#define KEEL_RING_SLOTS          64u   /* request and response slots */
#define KEEL_RING_DEVICES_MAX    32u

enum keel_ring_kind { KEEL_RING_MMIO = 0, KEEL_RING_PIO = 1 };
enum keel_ring_dir { KEEL_RING_READ = 0, KEEL_RING_WRITE = 1 };

/* Request flags. */
#define KEEL_RING_F_POSTED 0x1u /* the vCPU did not wait for this write; the answer only acks it */
#define KEEL_RING_F_RMW    0x2u /* the read or write half of a read-modify-write instruction */

/* Answer status: data-only, never anything about the instruction. */
enum keel_ring_status {
	KEEL_RING_OK = 0,
	KEEL_RING_EIO = 1,     /* the device model failed: reads complete with all-ones */
	KEEL_RING_ENODEV = 2,  /* no model at that address: reads complete with all-ones */
};

/* A request: `count` elements of `size` bytes; element i is at addr + i * stride (stride is
 * +size, -size, or 0 for a port or FIFO). Writes carry count*size bytes of data, element i at
 * data[i*size]. count >= 1 and count * size <= KEEL_RING_DATA_MAX. */
struct keel_ring_req {
	uint64_t id;        /* unique per ring, increasing (not consecutive); 0 is never used */
	uint16_t partition; /* index of the guest partition */
	uint16_t vcpu;      /* vCPU index in that partition */
	uint8_t kind;       /* enum keel_ring_kind */
	uint8_t dir;        /* enum keel_ring_dir */
	uint8_t size;       /* 1, 2, 4 or 8 */
	uint8_t flags;      /* KEEL_RING_F_* (POSTED: writes to a device flagged POSTED only) */
	uint64_t addr;      /* guest-physical address or port */
	uint32_t count;
	int32_t stride;
	uint16_t device;    /* index into the header's device table */
	uint16_t reserved0;
	uint32_t reserved1;
	uint64_t reserved2[3];
	uint8_t data[KEEL_RING_DATA_MAX];
};

struct keel_ring_rsp {
	uint64_t id;        /* the request answered */
	uint32_t status;    /* enum keel_ring_status */
	uint32_t len;       /* bytes in data: count*size for a read (any status), 0 for a write */
	uint64_t reserved[6];
	uint8_t data[KEEL_RING_DATA_MAX];
};

/* A device model the service VM must provide: the core routes requests by this table. */
struct keel_ring_device {
	uint16_t partition;
	uint8_t kind;       /* enum keel_ring_kind */
	uint8_t irq;        /* the partition's IOAPIC pin the model raises, 0xff = none */
	uint32_t flags;     /* KEEL_RING_F_POSTED when the region takes posted writes */
	uint64_t base;
	uint64_t size;
	char model[16];     /* e.g. "uart16550", "testdev", "silent", "counter" */
};

/* One index with its own cache line and one writer. */
struct keel_ring_index {
	uint32_t value;
	uint32_t pad[15];
};

/* Page 0 of the shared area. */
struct keel_ring_header {
	/* Written by the core before the service VM starts, then read-only. */
	uint64_t magic;
	uint16_t version_major, version_minor;
	uint32_t header_size;
	uint32_t slots;        /* request and response slots (power of two) */
	uint32_t req_offset;   /* from the start of the area */
	uint32_t rsp_offset;
	uint32_t req_size;     /* sizeof(struct keel_ring_req) */
	uint32_t rsp_size;
	uint32_t notify_vector; /* vector Keel injects into the service VM on new requests, 0 = poll */
	uint32_t ndevices;
	uint32_t reserved0[5];
	struct keel_ring_device device[KEEL_RING_DEVICES_MAX];
	/* Written by the service VM once, when it is ready (version negotiation). */
	uint16_t svc_version_major, svc_version_minor;
	uint32_t svc_ready;     /* 1 = consuming requests; any other value = not ready */
	uint32_t svc_reserved[14];
	/* The four indices. */
	struct keel_ring_index req_prod; /* core */
	struct keel_ring_index req_cons; /* service VM */
	struct keel_ring_index rsp_prod; /* service VM */
	struct keel_ring_index rsp_cons; /* core */
};

_Static_assert(sizeof(struct keel_ring_req) == 320, "keel_ring_req size");
_Static_assert(__builtin_offsetof(struct keel_ring_req, addr) == 16, "req addr offset");
_Static_assert(__builtin_offsetof(struct keel_ring_req, count) == 24, "req count offset");
_Static_assert(__builtin_offsetof(struct keel_ring_req, device) == 32, "req device offset");
_Static_assert(__builtin_offsetof(struct keel_ring_req, data) == 64, "req data offset");
_Static_assert(sizeof(struct keel_ring_rsp) == 320, "keel_ring_rsp size");
_Static_assert(__builtin_offsetof(struct keel_ring_rsp, data) == 64, "rsp data offset");
_Static_assert(sizeof(struct keel_ring_device) == 40, "keel_ring_device size");
_Static_assert(sizeof(struct keel_ring_index) == 64, "keel_ring_index size");
_Static_assert(__builtin_offsetof(struct keel_ring_header, device) == 64, "device table offset");
_Static_assert(__builtin_offsetof(struct keel_ring_header, svc_version_major) == 1344, "svc offset");
_Static_assert(__builtin_offsetof(struct keel_ring_header, req_prod) == 1408, "req_prod offset");
_Static_assert(__builtin_offsetof(struct keel_ring_header, rsp_cons) == 1600, "rsp_cons offset");
_Static_assert(sizeof(struct keel_ring_header) == 1664, "header size");

/* The whole area: header page, then the request and response slots, page-aligned. */
#define KEEL_RING_REQ_OFFSET 0x1000u
#define KEEL_RING_RSP_OFFSET (KEEL_RING_REQ_OFFSET + \
			      ((KEEL_RING_SLOTS * sizeof(struct keel_ring_req) + 0xfffu) & ~0xfffu))
#define KEEL_RING_AREA_SIZE  (KEEL_RING_RSP_OFFSET + \
			      ((KEEL_RING_SLOTS * sizeof(struct keel_ring_rsp) + 0xfffu) & ~0xfffu))

#endif
