/* Long-mode entry, exception stubs and setjmp/longjmp for payloads (guest_boot.h: RBX = start info). */
	.section .text.entry, "ax"
	.code64
	.global _start
_start:
	mov %rbx, %rdi
	call guest_start
1:	cli
	hlt
	jmp 1b

/* Vectors that push an error code (SDM Vol. 3A 6.15): 8, 10-14, 17, 21, 29, 30. */
	.macro stub v
	.align 16
	.if (\v == 8) || (\v >= 10 && \v <= 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	.else
	push $0
	.endif
	push $\v
	jmp exc_common
	.endm

	.text
	.align 16
	.global exc_stubs
exc_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	stub \v
	.endr

/* Frame for exc_handler: rax, rcx, rdx, rbx, (rsp slot), rbp, rsi, rdi, r8-r15, then vector,
 * error, rip, cs, rflags, rsp, ss. */
exc_common:
	push %r15
	push %r14
	push %r13
	push %r12
	push %r11
	push %r10
	push %r9
	push %r8
	push %rdi
	push %rsi
	push %rbp
	push %rsp
	push %rbx
	push %rdx
	push %rcx
	push %rax
	mov %rsp, %rdi
	and $-16, %rsp
	call exc_handler
2:	cli
	hlt
	jmp 2b

/* Interrupt stubs, 16 bytes each for vectors 0-255 (the IDT uses them for NMI and 32-255):
 * push the vector, save the caller-saved registers, call intr_dispatch(vector), IRET. */
	.align 16
	.global intr_stubs
intr_stubs:
	.set vec, 0
	.rept 256
	.align 16
	pushq $vec
	jmp intr_common
	.set vec, vec + 1
	.endr

intr_common:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	push %rbp
	mov %rsp, %rbp
	mov 80(%rsp), %rdi
	and $-16, %rsp
	call intr_dispatch
	mov %rbp, %rsp
	pop %rbp
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	add $8, %rsp
	iretq

	.global g_setjmp, g_longjmp
g_setjmp:
	mov %rbx, 0(%rdi)
	mov %rbp, 8(%rdi)
	mov %r12, 16(%rdi)
	mov %r13, 24(%rdi)
	mov %r14, 32(%rdi)
	mov %r15, 40(%rdi)
	lea 8(%rsp), %rax
	mov %rax, 48(%rdi)
	mov (%rsp), %rax
	mov %rax, 56(%rdi)
	xor %eax, %eax
	ret

g_longjmp:
	mov 0(%rdi), %rbx
	mov 8(%rdi), %rbp
	mov 16(%rdi), %r12
	mov 24(%rdi), %r13
	mov 32(%rdi), %r14
	mov 40(%rdi), %r15
	mov 48(%rdi), %rsp
	mov %esi, %eax
	jmp *56(%rdi)

	.section .note.GNU-stack, "", @progbits
