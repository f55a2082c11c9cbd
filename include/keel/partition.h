/* A partition: its memory, its vCPUs (each pinned to one physical CPU), its devices. */
#ifndef KEEL_PARTITION_H
#define KEEL_PARTITION_H

#include <keel/types.h>
#include <keel/gmem.h>
#include <keel/region.h>

#define PARTITION_MAX_VCPUS 16
#define PARTITION_NAME_MAX 32

struct vcpu;
struct testdev;
struct vuart;
struct virq_part;

enum partition_state { PART_LOADING, PART_RUNNING, PART_STOPPED };

struct partition {
	u32 id;
	char name[PARTITION_NAME_MAX];
	enum partition_state state;
	struct gmem mem;
	struct region_set regions;
	struct testdev *testdev;   /* in-core test device, when the partition has one */
	struct vuart *console;     /* in-core UART model, when the partition has one */
	struct virq_part *irq;     /* IOAPIC, PIC, PIT and platform devices (vmm/virq*.c) */
	struct vcpu *vcpu[PARTITION_MAX_VCPUS];
	u32 nr_vcpus;
	u32 entry_mode;        /* enum keel_entry_mode */
	u64 entry;             /* guest-physical entry point */
	u64 image_start, image_end;
	u64 tsc_offset;        /* one offset for every vCPU of the partition */
	u32 verdicts_failed;   /* reported by the guest with KEEL_HC_VERDICTS */
	u32 verdicts_passed;
	char stop_reason[96];
	u64 unbacked[64];          /* pages/ports already reported as unbacked */
	u32 unbacked_n;
	bool unbacked_full;
};

#endif

/* What a partition is made of (from the configuration, or Keel's command line for now). */
struct partition_spec {
	const char *name;
	u64 ram_size;
	const u8 *image;
	u64 image_len;
	const char *image_name;
	u32 entry_mode;        /* enum keel_entry_mode */
	const char *cmdline;
	u32 nr_vcpus;
	bool testdev;          /* map the in-core test device at KEEL_TESTDEV_GPA */
	bool console;          /* an in-core UART model at 0x3f8 */
};

/* Creates the partition, loads its image and prepares its vCPUs. Returns NULL after printing
 * one line naming the partition and the problem. */
struct partition *partition_create(const struct partition_spec *spec);
/* On the vCPU's own CPU: create its VMCS/VMCB, attach the nested page tables, load its entry
 * state. */
int vcpu_start(struct vcpu *v);
/* Prints "keel: partition <name>: <state> ..." (verdict counts, stop reason, exits). */
void partition_report(const struct partition *p);
/* The partition with this index, or NULL. */
struct partition *partition_get(u32 id);
/* Called by a vCPU's CPU when the vCPU stops; the partition stops with its last vCPU (and
 * its other vCPUs stop with its BSP). */
void partition_vcpu_stopped(struct vcpu *v);
