/* VM entry and exit: the 15 GPRs other than RSP live in struct vcpu_regs (gpr[n] at 8 * n);
 * RSP, RIP and RFLAGS go through the VMCS. */
#define HOST_RSP 0x6c14

	.text
/* int vmx_enter(struct vcpu_regs *regs, u32 launched): 0 after a VM exit, 1 on VMfailInvalid,
 * 2 on VMfailValid (SDM Vol. 3C 30.2). */
	.global vmx_enter
	.type vmx_enter, @function
vmx_enter:
	push %rbp
	mov %rsp, %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi                       /* regs: found again at 0(%rsp) after the exit */
	mov $HOST_RSP, %eax
	vmwrite %rsp, %rax
	test %esi, %esi
	mov 0(%rdi), %rax
	mov 8(%rdi), %rcx
	mov 16(%rdi), %rdx
	mov 24(%rdi), %rbx
	mov 40(%rdi), %rbp
	mov 48(%rdi), %rsi
	mov 64(%rdi), %r8
	mov 72(%rdi), %r9
	mov 80(%rdi), %r10
	mov 88(%rdi), %r11
	mov 96(%rdi), %r12
	mov 104(%rdi), %r13
	mov 112(%rdi), %r14
	mov 120(%rdi), %r15
	mov 56(%rdi), %rdi
	jnz 1f
	vmlaunch
	jmp 2f
1:	vmresume
2:	mov $1, %eax                    /* CF: VMfailInvalid; ZF: VMfailValid */
	jc 3f
	mov $2, %eax
3:	pop %rdi
	jmp vmx_leave

/* HOST_RIP. The guest's RAX is still live here (platform.md §3): save it first. */
	.global vmx_exit_point
	.type vmx_exit_point, @function
vmx_exit_point:
	push %rax
	mov 8(%rsp), %rax
	mov %rcx, 8(%rax)
	mov %rdx, 16(%rax)
	mov %rbx, 24(%rax)
	mov %rbp, 40(%rax)
	mov %rsi, 48(%rax)
	mov %rdi, 56(%rax)
	mov %r8, 64(%rax)
	mov %r9, 72(%rax)
	mov %r10, 80(%rax)
	mov %r11, 88(%rax)
	mov %r12, 96(%rax)
	mov %r13, 104(%rax)
	mov %r14, 112(%rax)
	mov %r15, 120(%rax)
	pop %rcx
	mov %rcx, 0(%rax)
	pop %rdi
	xor %eax, %eax
vmx_leave:
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

/* INT n; RET for every vector, 4 bytes apart: host interrupts and NMIs taken on exit are
 * handed to the host IDT through these. */
	.global vmx_vector_stubs
	.align 16
vmx_vector_stubs:
	.set vec, 0
	.rept 256
	.byte 0xcd, vec, 0xc3, 0xcc
	.set vec, vec + 1
	.endr

	.section .note.GNU-stack, "", @progbits
