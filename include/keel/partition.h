/* A partition: its memory, its vCPUs (each pinned to one physical CPU), its devices. Partitions
 * are made from the configuration (docs/partitions.md); a partition's id is its index there. */
#ifndef KEEL_PARTITION_H
#define KEEL_PARTITION_H

#include <keel/types.h>
#include <keel/gmem.h>
#include <keel/region.h>

#define PARTITION_MAX 16
#define PARTITION_MAX_VCPUS 16
#define PARTITION_NAME_MAX 32

struct vcpu;
struct vuart;
struct virq_part;
struct config_partition;
struct keel_start_info;

enum partition_state { PART_LOADING, PART_RUNNING, PART_STOPPED };

struct partition {
	u32 id;                /* index in the configuration */
	char name[PARTITION_NAME_MAX];
	enum partition_state state;
	bool service;          /* the service VM (maps the ring) */
	u8 unbacked;           /* enum config_unbacked */
	struct gmem mem;
	struct region_set regions;
	struct vuart *console;     /* in-core UART model (console incore) */
	struct vuart *fconsole;    /* line buffer of a forwarded console (KEEL_HC_CONSOLE_WRITE) */
	u32 fconsole_lock;
	struct virq_part *irq;     /* IOAPIC, PIC, PIT and platform devices (vmm/virq*.c) */
	struct vcpu *vcpu[PARTITION_MAX_VCPUS];
	u32 nr_vcpus;
	u32 entry_mode;        /* enum config_entry */
	const struct config_partition *cfg; /* what it was made from (a restart loads it again) */
	u32 restarts;          /* times a Linux partition was restarted (triple fault) */
	bool restarting;       /* a restart was requested and vCPU 0 has not finished it */
	u64 entry;             /* guest-physical entry point */
	u64 image_start, image_end;
	u64 tsc_offset;        /* one offset for every vCPU of the partition */
	u32 verdicts_failed;   /* reported by the guest with KEEL_HC_VERDICTS */
	u32 verdicts_passed;
	u32 live;              /* vCPUs not stopped yet */
	u32 started;           /* vCPUs running guest code and not stopped */
	u32 entered;           /* bit per vCPU that runs guest code (cleared when INIT parks it) */
	char stop_reason[96];  /* why it stopped: the first reason given wins */
	u32 reason_taken;
	u64 unbacked_seen[64]; /* pages/ports already reported as unbacked */
	u32 unbacked_n;
	bool unbacked_full;
};

/* Creates partition `id` from its configuration: RAM (placed at the configured host-physical
 * address, if any), the image module, start information, regions and vCPUs (vCPU n pinned to
 * the n-th lowest CPU listed). Returns NULL after printing one line naming the partition and the
 * problem. */
struct partition *partition_create(u32 id, const struct config_partition *c);
/* The partition with this id, or NULL when it was never created. */
struct partition *partition_get(u32 id);
/* Appends a region to the start information (before the partition runs); -ENOSPC when full. */
int partition_start_region(struct partition *p, u64 base, u64 size, u32 kind, u32 flags);
/* On the vCPU's own CPU: create its VMCS/VMCB, attach the nested page tables, load its entry
 * state, open its passthrough ports. */
int vcpu_start(struct vcpu *v);
/* Prints "keel: partition <name>: <state> ..." (verdict counts, stop reason, exits). */
void partition_report(const struct partition *p);
/* Called by a vCPU's CPU when the vCPU stops. When the last started vCPU stops, vCPUs still
 * waiting for a start-up IPI are stopped too. Returns true when the partition has stopped. */
bool partition_vcpu_stopped(struct vcpu *v);
/* On the vCPU's CPU: it starts running guest code (first entry, or a SIPI after INIT), or INIT
 * parked it again; a partition whose last started vCPU is parked stops (docs/interrupts.md). */
void partition_vcpu_started(struct vcpu *v);
void partition_vcpu_parked(struct vcpu *v);
/* The vCPU halted with interrupts disabled: only an NMI, INIT or a stop can end that, so it
 * counts as parked; when every vCPU is, the partition stops ("halted with interrupts
 * disabled": how `poweroff -f` ends a Linux guest). */
void partition_vcpu_halted(struct vcpu *v);
/* Stops every vCPU of the partition (from any CPU): each leaves the guest at its next exit,
 * forced by an IPI. `why` (may be NULL) is kept unless a reason was already recorded. */
void partition_stop(struct partition *p, const char *why);
/* Records why the partition stops (its status line), unless a reason was recorded before. */
void partition_set_reason(struct partition *p, const char *why);

/* partition_linux.c: loads an `entry linux` partition's kernel and initrd (again after a
 * restart); its vCPU 0's entry state. */
int partition_linux_load(struct partition *p);
struct vcpu_regs;
struct vcpu_sregs;
void partition_linux_entry(const struct partition *p, struct vcpu_regs *r, struct vcpu_sregs *s);
/* A triple fault (or a reset request) in vCPU v: a Linux partition restarts, every vCPU gets
 * INIT and vCPU 0 reloads the image (true); any other partition stops (false). */
bool partition_restart_request(struct vcpu *v, const char *why);
/* On vCPU 0's CPU, when its INIT is a restart's: waits until no other vCPU runs guest code,
 * loads the kernel and initrd again, resets the partition's devices and vCPU 0 to the entry
 * state. False when no restart was requested (INIT to the BSP then stops the partition). */
bool partition_restart(struct vcpu *bsp);

/* partition_regions.c: the configured regions (in-core devices, forwarded, passthrough, none)
 * and their start-information entries; the passthrough ports of one vCPU. */
int partition_regions(struct partition *p, const struct config_partition *c);
int partition_open_ports(struct vcpu *v);

#endif
