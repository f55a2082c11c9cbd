/* Instruction bytes at the guest's RIP: length for intercepted instructions the hardware does
 * not measure (QEMU SVM has no nRIP), and the optional check of Keel's length against the
 * hardware's where it does report one (Keel command line `lencheck=1`). */
#ifndef ARCH_INSN_H
#define ARCH_INSN_H

#include <arch/vcpu.h>

/* The instruction at RIP for the emulator, with v->eregs' control state current: its memo
 * (arch/x86/vcpu_emul.h: bytes and length, valid until the vCPU's next fetch), or NULL when it
 * cannot be fetched or measured (the emulator then fetches itself and reports why). */
struct insn_memo;
struct insn_memo *insn_bytes(struct vcpu *v);

#define INSN_MAX_BYTES 15 /* SDM Vol. 2A 2.3.11 */
/* Up to 15 bytes at RIP, not measured, for an instruction Keel decodes itself (MOV to CR4 on
 * SVM): 0 with *n >= 1 bytes, and in *cut the fault that stopped the fetch early (type
 * VEVENT_NONE when none did) for a caller that needs more; 1 when there is nothing to decode (a
 * fault was queued, the guest must re-enter, or the vCPU was stopped). */
int insn_fetch_raw(struct vcpu *v, u8 buf[INSN_MAX_BYTES], u32 *n, struct vevent *cut);

extern bool insn_check_on;
static inline bool insn_check_enabled(void) { return insn_check_on; }
void insn_check_set(bool on);
/* Compare Keel's decoded length at RIP, fresh and memoized, with `hw_len`; counts
 * KEEL_STAT_LEN_CHECKED/MISMATCH. */
void insn_check_length(struct vcpu *v, u32 hw_len);

/* The emulator path for MMIO and string port I/O (arch/x86/mmio.c). */
enum exit_action exit_emulate(struct vcpu *v);

/* Per-vCPU emulator state. */
int mmio_vcpu_init(struct vcpu *v);

#endif
