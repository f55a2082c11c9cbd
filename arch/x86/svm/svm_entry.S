/* void svm_vmrun(struct vcpu_regs *regs, u64 vmcb_pa, u64 host_pa, u64 host_intr)
 * Enters the guest once. VMRUN switches only part of the state (APM Vol. 2 15.5.1): RAX, RSP
 * and RIP come back from the host save area, the other 13 GPRs hold the guest's values, and
 * FS, GS, TR, LDTR, KernelGSBase, STAR/LSTAR/CSTAR/SFMASK and SYSENTER_* are switched here
 * with VMSAVE/VMLOAD (15.5.2) so the host keeps its per-CPU GS base and TSS. GIF stays clear
 * from before the host's VMSAVE to after its VMLOAD: no interrupt or NMI sees guest state.
 * With host_intr set, host IF is 1 inside that window, so a host interrupt ends the guest's run
 * (V_INTR_MASKING: the host's IF masks physical interrupts, APM Vol. 2 15.21.1) and stays
 * pending, GIF being clear, until the caller unmasks it; IF is 0 again on return. */
#define GPR(n) (8 * (n))

	.text
	.globl svm_vmrun
	.type svm_vmrun, @function
svm_vmrun:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rcx                       /* 24(%rsp): host_intr */
	push %rdx                       /* 16(%rsp): host save area */
	push %rsi                       /*  8(%rsp): VMCB */
	push %rdi                       /*  0(%rsp): regs */
	clgi
	test %rcx, %rcx
	jz 1f
	sti
1:	mov %rdx, %rax
	vmsave
	mov %rsi, %rax
	vmload
	mov GPR(1)(%rdi), %rcx
	mov GPR(2)(%rdi), %rdx
	mov GPR(3)(%rdi), %rbx
	mov GPR(5)(%rdi), %rbp
	mov GPR(6)(%rdi), %rsi
	mov GPR(8)(%rdi), %r8
	mov GPR(9)(%rdi), %r9
	mov GPR(10)(%rdi), %r10
	mov GPR(11)(%rdi), %r11
	mov GPR(12)(%rdi), %r12
	mov GPR(13)(%rdi), %r13
	mov GPR(14)(%rdi), %r14
	mov GPR(15)(%rdi), %r15
	mov GPR(7)(%rdi), %rdi
	vmrun
	push %rdi
	mov 8(%rsp), %rdi
	mov %rcx, GPR(1)(%rdi)
	mov %rdx, GPR(2)(%rdi)
	mov %rbx, GPR(3)(%rdi)
	mov %rbp, GPR(5)(%rdi)
	mov %rsi, GPR(6)(%rdi)
	mov %r8, GPR(8)(%rdi)
	mov %r9, GPR(9)(%rdi)
	mov %r10, GPR(10)(%rdi)
	mov %r11, GPR(11)(%rdi)
	mov %r12, GPR(12)(%rdi)
	mov %r13, GPR(13)(%rdi)
	mov %r14, GPR(14)(%rdi)
	mov %r15, GPR(15)(%rdi)
	popq GPR(7)(%rdi)
	mov 8(%rsp), %rax
	vmsave
	mov 16(%rsp), %rax
	vmload
	cmpq $0, 24(%rsp)
	je 2f
	cli
2:	stgi
	add $32, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
	.size svm_vmrun, . - svm_vmrun

	.section .note.GNU-stack, "", @progbits
