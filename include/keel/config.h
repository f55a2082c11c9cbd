/* Keel's configuration (docs/config.md): one text module, parsed and validated before anything
 * starts. The same sources (vmm/config_*.c) build into the core and into the host tool
 * build/keel-config. The result is plain data; every item keeps the line it came from. */
#ifndef KEEL_CONFIG_H
#define KEEL_CONFIG_H

#include <keel/types.h>
#include <abi/guest_boot.h>
#include <abi/ring.h>

#define CONFIG_BYTES_MAX      65536u  /* the whole file */
#define CONFIG_LINE_MAX       512u    /* bytes on one line, not counting its line ending */
#define CONFIG_PARTITIONS_MAX 16u
#define CONFIG_REGIONS_MAX    16u     /* per partition, the console's UART included */
#define CONFIG_CPUS_MAX       64u     /* physical CPU indices 0-63, MADT order */
#define CONFIG_PART_CPUS_MAX  16u     /* CPUs (= vCPUs) of one partition */
#define CONFIG_NAME_MAX       32u     /* partition name: 1-31 characters + NUL */
#define CONFIG_MODULE_MAX     64u     /* module name: 1-63 characters + NUL (docs/boot.md) */
#define CONFIG_ARGS_MAX       481u    /* the command line as written between the quotes: 480 + NUL */
#define CONFIG_DEVICE_MAX     16u     /* device and model names, = keel_ring_device.model */
#define CONFIG_IRQ_MAX        23u     /* IOAPIC pins 0-23 */
#define CONFIG_IRQ_NONE       0xffu
#define CONFIG_PHYS_LIMIT     (1ull << 48) /* every address and every end lies at or below */
#define CONFIG_RAM_ALIGN      (2ull << 20)
#define CONFIG_PAGE           0x1000ull
#define CONFIG_PORT_LIMIT     0x10000ull
#define CONFIG_RING_SIZE      ((u64)KEEL_RING_AREA_SIZE)
#define CONFIG_TIMEOUT_DEFAULT 10000u   /* µs */
#define CONFIG_TIMEOUT_MAX    10000000u /* µs */
#define CONFIG_VECTOR_MIN     32u
#define CONFIG_ESCAPE_DEFAULT 0x14u     /* Ctrl-T */
#define CONFIG_NONE           0xffffffffu /* "no partition" */
#define CONFIG_HPA_ANY        (~0ull)   /* Keel chooses where a partition's RAM lies */

/* Fixed guest-physical windows of the in-core interrupt controllers (implicit in every partition). */
#define CONFIG_IOAPIC_GPA 0xfec00000ull
#define CONFIG_LAPIC_GPA  0xfee00000ull
#define CONFIG_APIC_SIZE  0x1000ull
/* The partition console's UART (COM1) and the IOAPIC pin a forwarded one raises. */
#define CONFIG_CONSOLE_PORT 0x3f8ull
#define CONFIG_CONSOLE_SIZE 8ull
#define CONFIG_CONSOLE_IRQ  4u

enum config_kind { CONFIG_GUEST = 0, CONFIG_SERVICE = 1 };

enum config_entry {
	CONFIG_ENTRY_LONG64 = KEEL_ENTRY_LONG64,
	CONFIG_ENTRY_PROT32 = KEEL_ENTRY_PROT32,
	CONFIG_ENTRY_REAL = KEEL_ENTRY_REAL,
	CONFIG_ENTRY_LINUX = 3,
};

enum config_space { CONFIG_MMIO = KEEL_RING_MMIO, CONFIG_PIO = KEEL_RING_PIO };

enum config_handler {
	CONFIG_INCORE = 0,      /* device[] names Keel's own model: "testdev", "uart" */
	CONFIG_FORWARD = 1,     /* device[] names the service VM's model */
	CONFIG_POSTED = 2,      /* forwarded; writes do not wait for the answer */
	CONFIG_PASSTHROUGH = 3, /* the real device: I/O bitmap open, or MMIO identity-mapped */
	CONFIG_NOTHING = 4,     /* `none`: reads all-ones, writes dropped, never logged */
};

enum config_unbacked {
	CONFIG_UNBACKED_ONES = 0, /* reads all-ones, writes dropped */
	CONFIG_UNBACKED_GP = 1,   /* inject #GP(0) */
	CONFIG_UNBACKED_STOP = 2, /* stop the partition */
};

enum config_console { CONFIG_CONSOLE_INCORE = 0, CONFIG_CONSOLE_FORWARD = 1, CONFIG_CONSOLE_NONE = 2 };

struct config_region {
	u64 base, size;            /* guest-physical address or port */
	u32 line;
	u8 space;                  /* enum config_space */
	u8 handler;                /* enum config_handler */
	u8 irq;                    /* IOAPIC pin (forward, posted), else CONFIG_IRQ_NONE */
	bool console;              /* the UART added by the partition's `console` key */
	char device[CONFIG_DEVICE_MAX]; /* in-core device or service-VM model; "" otherwise */
};

/* The line each key was given on (0 = not given). */
struct config_part_lines {
	u32 header, kind, cpus, memory, image, entry, args, initrd, unbacked, console;
};

struct config_partition {
	char name[CONFIG_NAME_MAX];
	u8 kind;                   /* enum config_kind */
	u8 entry;                  /* enum config_entry */
	u8 unbacked;               /* enum config_unbacked */
	u8 console;                /* enum config_console */
	u64 cpus;                  /* bit i = physical CPU i; vCPU n runs on the n-th lowest */
	u32 ncpus;
	u64 ram_size;
	u64 ram_gpa;               /* guest-physical base of RAM */
	u64 ram_hpa;               /* host-physical base, or CONFIG_HPA_ANY */
	char image[CONFIG_MODULE_MAX];
	char initrd[CONFIG_MODULE_MAX]; /* "" = none */
	char args[CONFIG_ARGS_MAX];
	u32 nregions;
	struct config_region region[CONFIG_REGIONS_MAX];
	struct config_part_lines line;
};

struct config_platform_lines {
	u32 header, cpus, ring, ring_timeout, ring_notify, console_first, console_escape;
};

struct keel_config {
	u32 cpus;                  /* the CPU count the machine must have; 0 = not given */
	bool ring;                 /* a ring is configured (required with a service partition) */
	u64 ring_gpa;              /* [ring_gpa, ring_gpa + CONFIG_RING_SIZE) in the service VM */
	u32 ring_timeout_us;
	u8 ring_vector;            /* interrupt vector for the service VM; 0 = it polls */
	u8 console_escape;         /* control character that starts a console switch */
	char console_first_name[CONFIG_NAME_MAX]; /* as written; "" = default */
	u32 console_first;         /* partition index whose input the console feeds first, or CONFIG_NONE */
	u32 service;               /* index of the service partition, or CONFIG_NONE */
	u32 npartitions;
	struct config_partition part[CONFIG_PARTITIONS_MAX];
	struct config_platform_lines line;
};

#define CONFIG_PROBLEMS_MAX 32u
#define CONFIG_MSG_MAX      192u

struct config_problem {
	u32 line;                  /* 0 = not tied to a line */
	char msg[CONFIG_MSG_MAX];  /* "partition 'a': memory: ...", without the "config:LINE: " prefix */
};

struct config_problems {
	u32 n;
	u32 dropped;               /* problems beyond CONFIG_PROBLEMS_MAX, counted only */
	struct config_problem p[CONFIG_PROBLEMS_MAX];
};

/* A host-physical range (or port range) nothing may be placed over, e.g. Keel's own image. */
struct config_range {
	u64 base, size;
	u8 space;                  /* enum config_space */
	const char *what;          /* "Keel's image" */
};

/* What the validator knows about the machine. */
struct config_machine {
	u32 ncpus;                 /* CPUs present (MADT); 0 = unknown: use the config's `cpus` */
	const char *const *modules; /* loaded module names; NULL = unknown: not checked */
	u32 nmodules;
	const struct config_range *reserved;
	u32 nreserved;
	const struct config_range *ram; /* the memory map's RAM; NULL = unknown: not checked */
	u32 nram;
};

/* Parses `len` bytes (not NUL-terminated) into *c, starting *pr afresh. Returns 0; -E2BIG (too
 * large) or -EBADMSG (first line wrong) without reading further; or -EINVAL. Every problem is in
 * *pr. *c is always fully written: fields with bad values keep their defaults. */
int config_parse(struct keel_config *c, struct config_problems *pr, const void *text, size_t len);

/* Cross-checks a parsed configuration against itself and the machine (m may be NULL); sets
 * service and console_first (and console_first_name when it was not given). Appends to *pr;
 * returns 0 or -EINVAL. */
int config_validate(struct keel_config *c, struct config_problems *pr, const struct config_machine *m);

/* Both (validation is skipped after -E2BIG/-EBADMSG); Keel refuses to start unless this
 * returns 0, else -EINVAL. */
int config_load(struct keel_config *c, struct config_problems *pr, const void *text, size_t len,
		const struct config_machine *m);

/* The configuration in normalised form (every default explicit), one line per call, without
 * the newline. Parsing the output gives back the same configuration. */
typedef void config_emit_fn(void *ctx, const char *line);
void config_dump(const struct keel_config *c, config_emit_fn *emit, void *ctx);

/* Core only (vmm/config_boot.c): config_load, printing each problem as an error line
 * "config:LINE: <msg>". */
int config_boot_load(struct keel_config *c, const void *text, size_t len,
		     const struct config_machine *m);
/* Core only: takes every partition's placed RAM (`memory ... hpa`) from the page allocator, so
 * nothing else gets it; one error line per range Keel itself already uses. 0 or -EBUSY. */
int config_boot_claim(const struct keel_config *c);

#endif
