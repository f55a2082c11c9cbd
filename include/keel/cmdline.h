/* Keel's own command line (vmm/cmdline.c): `loglevel=err|warn|info|debug`, `test=0|1`,
 * `config=NAME`, `fault=KIND` (in-core fault-handling self-test, docs/boot.md),
 * `virt_selftest=0|1` (the virtualization backend's self-test, docs/vmx.md, docs/svm.md),
 * `guest=NAME`, `guest_mode=long64|prot32|real`, `guest_mem=MiB`, `guest_vcpus=N`, `lencheck=0|1`,
 * `irqcheck=0|1` (docs/boot.md), `canaries=0|1` (isolation canaries, docs/isolation.md). */
#ifndef KEEL_CMDLINE_H
#define KEEL_CMDLINE_H

#include <keel/printk.h>
#include <keel/errno.h>
#include <keel/types.h>

#define CMDLINE_NAME_MAX 64

struct keel_opts {
	enum log_level loglevel;
	bool test;
	bool virt_selftest;
	char config[CMDLINE_NAME_MAX]; /* "" when absent */
	char fault[16];                /* "" when absent */
	/* Until a configuration names partitions: one guest partition per CPU running this module. */
	char guest[CMDLINE_NAME_MAX];  /* "" when absent */
	char guest_mode[8];            /* long64 (default), prot32, real */
	u32 guest_mem_mib;             /* default 64 */
	u32 guest_vcpus;               /* vCPUs per partition, default 1 (docs/interrupts.md) */
	bool lencheck;                 /* compare Keel's instruction lengths with the hardware's */
	bool irqcheck;                 /* check entries that skip the interrupt passes */
	bool canaries;                 /* plant canaries in partitions' RAM and the ring (test mode) */
};

/* Parses `s` into *o (defaults first). Bad values and unknown options are warned about, never
 * fatal. Returns the number of warnings given. */
int cmdline_parse(struct keel_opts *o, const char *s);

/* Checks the configuration module's header: its first line must be exactly "keel-config 1".
 * Returns 0 or a negative errno. */
int config_header_check(const u8 *p, u64 len);

#endif
