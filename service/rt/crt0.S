/* The service VM's entry (docs/guest-boot.md, long64 mode): RBX = RDI = start information,
 * interrupts off, Keel's identity map. Clears BSS, moves to its own stack, turns SSE on for
 * newlib, then calls rt_start. */
	.section .text.entry, "ax"
	.code64
	.global _start
_start:
	cli
	cld
	mov %rdi, %r12
	lea __bss_start(%rip), %rdi
	lea _end(%rip), %rcx
	sub %rdi, %rcx
	xor %eax, %eax
	rep stosb
	lea rt_stack_top(%rip), %rsp
	xor %ebp, %ebp
	/* SSE needs CR0.EM = 0, CR0.MP = 1, CR0.TS = 0 and CR4.OSFXSR, CR4.OSXMMEXCPT
	 * (SDM Vol. 3A 13.1.3). */
	mov %cr0, %rax
	and $~0xc, %rax
	or $0x2, %rax
	mov %rax, %cr0
	mov %cr4, %rax
	or $0x600, %rax
	mov %rax, %cr4
	fninit
	ldmxcsr rt_mxcsr_init(%rip)
	mov %r12, %rdi
	call rt_start
1:	cli
	hlt
	jmp 1b

	.section .rodata
	.align 4
	.global rt_mxcsr_init
rt_mxcsr_init:
	.long 0x1f80            /* all exceptions masked, round to nearest (SDM Vol. 1 10.2.3.1) */

	.section .bss.stack, "aw", @nobits
	.align 16
	.global rt_stack_bottom, rt_stack_top
rt_stack_bottom:
	.skip 65536
rt_stack_top:

	.section .note.GNU-stack, "", @progbits
