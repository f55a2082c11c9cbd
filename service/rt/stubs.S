/* The service VM's 256 interrupt stubs, 16 bytes apart (rt_trap_init points the IDT at them),
 * and the common path: save the GPRs and the FPU/SSE state (the interrupted code may be using
 * it), call rt_trap(frame), restore, IRETQ. */
	.text
	.align 16
	.global rt_trap_stubs
rt_trap_stubs:
	.set vec, 0
	.rept 256
	.align 16
	/* Vectors that push an error code (SDM Vol. 3A 6.15): 8, 10-14, 17, 21, 29, 30. */
	.if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq $0
	.endif
	pushq $vec
	jmp rt_trap_common
	.set vec, vec + 1
	.endr

rt_trap_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	cld
	mov %rsp, %rdi
	mov %rsp, %rbx
	sub $512, %rsp
	and $-16, %rsp
	fxsave64 (%rsp)
	call rt_trap
	fxrstor64 (%rsp)
	mov %rbx, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp
	iretq

	.section .note.GNU-stack, "", @progbits
