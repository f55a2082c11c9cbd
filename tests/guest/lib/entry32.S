/* 32-bit protected-mode entry, exception stubs and setjmp/longjmp (EBX = start info). */
	.section .text.entry, "ax"
	.code32
	.global _start
_start:
	push %ebx
	call guest_start
1:	cli
	hlt
	jmp 1b

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

/* Frame for exc_handler: eax, ecx, edx, ebx, (esp slot), ebp, esi, edi, then vector, error,
 * eip, cs, eflags. */
exc_common:
	push %edi
	push %esi
	push %ebp
	push %esp
	push %ebx
	push %edx
	push %ecx
	push %eax
	mov %esp, %eax
	mov $0x10, %ecx         /* the flat data segment: a test may have left others loaded */
	mov %ecx, %ds
	mov %ecx, %es
	and $-16, %esp
	push %eax
	call exc_handler
2:	cli
	hlt
	jmp 2b

/* Interrupt stubs, 16 bytes each for vectors 0-255 (the IDT uses them for NMI and 32-255). */
	.align 16
	.global intr_stubs
intr_stubs:
	.set vec, 0
	.rept 256
	.align 16
	pushl $vec
	jmp intr_common
	.set vec, vec + 1
	.endr

intr_common:
	pusha
	mov %esp, %ebp
	mov 32(%esp), %eax
	and $-16, %esp
	sub $12, %esp
	push %eax
	call intr_dispatch
	mov %ebp, %esp
	popa
	add $4, %esp
	iret

	.global g_setjmp, g_longjmp
g_setjmp:
	mov 4(%esp), %eax
	mov %ebx, 0(%eax)
	mov %esi, 4(%eax)
	mov %edi, 8(%eax)
	mov %ebp, 12(%eax)
	lea 4(%esp), %ecx
	mov %ecx, 16(%eax)
	mov (%esp), %ecx
	mov %ecx, 20(%eax)
	xor %eax, %eax
	ret

g_longjmp:
	mov 4(%esp), %edx
	mov 8(%esp), %eax
	mov 0(%edx), %ebx
	mov 4(%edx), %esi
	mov 8(%edx), %edi
	mov 12(%edx), %ebp
	mov 16(%edx), %esp
	jmp *20(%edx)

	.section .note.GNU-stack, "", @progbits
