/* Switching a long-mode guest to 5-level paging: CR4.LA57 can change only with paging off
 * (SDM Vol. 3A 4.1.1, 4.1.2), so the switch goes through compatibility mode, turns paging off
 * (long mode inactive, EFER.LME stays set), sets LA57 and the PML5, and turns paging on again.
 * void la57_enable(uint64_t pml5) — the code, stack and tables lie below 4 GiB. */
	.text
	.code64
	.global la57_enable
la57_enable:
	push %rbx
	mov %rdi, %rbx
	lea 1f(%rip), %rax
	pushq $0x18
	push %rax
	lretq
	.code32
1:	mov %cr0, %eax
	and $0x7fffffff, %eax
	mov %eax, %cr0
	mov %cr4, %eax
	or $0x1000, %eax
	mov %eax, %cr4
	mov %ebx, %cr3
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	ljmp $0x08, $2f
	.code64
2:	pop %rbx
	ret

	.section .note.GNU-stack, "", @progbits
