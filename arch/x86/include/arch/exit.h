/* Exit handling common to both vendors (arch/x86/exit*.c). */
#ifndef ARCH_EXIT_H
#define ARCH_EXIT_H

#include <arch/vcpu.h>

/* What a handler wants next. */
enum exit_action { EXIT_RESUME, EXIT_STOP };

enum exit_action exit_handle(struct vcpu *v);

/* Advance RIP past the intercepted instruction: the hardware's length when it reports one,
 * else Keel decodes the instruction at RIP itself (QEMU's SVM has no nRIP). Returns 0, or 1
 * when a fault was queued for injection instead (the instruction could not be fetched). */
int exit_skip_insn(struct vcpu *v);

/* Queue an exception for the next entry. */
void exit_inject_exc(struct vcpu *v, u8 vector, bool has_error, u32 error);
void exit_inject_ud(struct vcpu *v);
void exit_inject_gp0(struct vcpu *v);

/* Stop the vCPU, recording why (printed with the partition's status line). */
enum exit_action exit_stop(struct vcpu *v, const char *fmt, ...) __printf(2, 3);
/* The same for a fault that ends the whole partition (triple fault, failed entry, an exit or an
 * instruction Keel cannot handle): every vCPU of it stops. */
enum exit_action exit_fatal(struct vcpu *v, const char *fmt, ...) __printf(2, 3);

/* Handlers living in their own files. */
enum exit_action exit_io(struct vcpu *v);
enum exit_action exit_npf(struct vcpu *v);
enum exit_action exit_xsetbv(struct vcpu *v);
enum exit_action exit_exception(struct vcpu *v);
enum exit_action exit_cr_access(struct vcpu *v);
enum exit_action exit_nmi_window(struct vcpu *v);
enum exit_action hypercall_dispatch(struct vcpu *v);
/* Wait until something can wake a halted vCPU (an interrupt for it, or a stop request). */
enum exit_action vcpu_block(struct vcpu *v);

enum exit_action exit_cpuid(struct vcpu *v);
/* 0 on success, -1 to inject #GP(0). */
int msr_read(struct vcpu *v, u32 msr, u64 *val);
int msr_write(struct vcpu *v, u32 msr, u64 val);

#endif
