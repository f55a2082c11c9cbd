/* AP trampoline, copied to a free page below 1 MiB chosen by the page allocator; the SIPI vector
 * is that page's number. Real mode → 32-bit protected mode → long mode on Keel's page tables
 * (SDM Vol. 3A 9.8.5), then a call to the C entry with the stack and per-CPU pointer from the
 * handoff area. Position independent: %ebx holds the page's physical base throughout. */
#include <arch/trampoline.h>

	.section .rodata
	.global tramp_start, tramp_end, tramp_pm32, tramp_lm64
	.code16
tramp_start:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	xor %ebx, %ebx
	mov %ax, %bx
	shl $4, %ebx
	lgdtl TR_GDTR
	mov %cr0, %eax
	or $1, %eax                     /* CR0.PE */
	mov %eax, %cr0
	ljmpl *TR_PM32

	.code32
tramp_pm32:
	mov $TR_SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %cr4, %eax
	or $0x20, %eax                  /* CR4.PAE */
	mov %eax, %cr4
	mov TR_CR3(%ebx), %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx           /* IA32_EFER: LME (+ NXE: the kernel's tables use NX) */
	rdmsr
	or TR_EFER(%ebx), %eax
	wrmsr
	mov %cr0, %eax
	and $0x9fffffff, %eax           /* clear CD and NW: INIT leaves caching off (SDM Vol. 3A 9.1.1) */
	or $0x80010021, %eax            /* PG | WP | NE | PE */
	mov %eax, %cr0
	ljmpl *TR_LM64(%ebx)

	.code64
tramp_lm64:
	mov %ebx, %ebx                  /* upper halves are undefined after the mode switch */
	mov TR_STACK(%rbx), %rsp
	mov TR_PERCPU(%rbx), %rdi
	mov TR_ENTRY(%rbx), %rax
	movl $1, TR_STARTED(%rbx)
	xor %ebp, %ebp
	call *%rax
1:	cli
	hlt
	jmp 1b
tramp_end:
	.org tramp_start + TR_DATA      /* fails to assemble if the code reaches the handoff area */

	.section .note.GNU-stack, "", @progbits
