/* 256 interrupt stubs, 16 bytes apart (idt.c relies on the spacing). Vectors without a CPU error
 * code push a zero so every trap_frame has the same layout (SDM Vol. 3A 6.13, table 6-1). */
	.text
	.align 16
	.global trap_stubs
trap_stubs:
	.set vec, 0
	.rept 256
	.align 16
	.if !((vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30))
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.set vec, vec + 1
	.endr
	.org trap_stubs + 256 * 16      /* fails to assemble if any stub outgrew its 16 bytes */

trap_common:
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
	call trap_dispatch
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
