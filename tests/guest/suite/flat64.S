/* The paged engine's run in long mode: load a struct ctx (GPRs, RFLAGS, XMM/YMM), switch CR3, jump
 * to the code slot; the slot jumps back to flat_ret, which saves the state into the out ctx.
 * An exception during the run ends in flat_abort (called by the exception hook). */
#define CTX_RFLAGS 128
#define CTX_VEC    160
#define SLOT       0xfeaf8000

	.text
	.code64
/* int flat_exec(const struct ctx *in, struct ctx *out, uint64_t cr3, unsigned vec) */
	.global flat_exec, flat_ret, flat_abort, slot_addr
flat_exec:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsi, out_ptr(%rip)
	mov %rsp, saved_rsp(%rip)
	mov %ecx, vec_mode(%rip)
	mov %cr3, %rax
	mov %rax, saved_cr3(%rip)
	cmp $1, %ecx
	jb 2f
	ja 1f
	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu CTX_VEC+32*\r(%rdi), %xmm\r
	.endr
	jmp 2f
1:
	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu CTX_VEC+32*\r(%rdi), %ymm\r
	.endr
2:
	mov %rdx, %cr3
	pushq CTX_RFLAGS(%rdi)
	popfq
	mov 0*8(%rdi), %rax
	mov 1*8(%rdi), %rcx
	mov 2*8(%rdi), %rdx
	mov 3*8(%rdi), %rbx
	mov 4*8(%rdi), %rsp
	mov 5*8(%rdi), %rbp
	mov 6*8(%rdi), %rsi
	mov 8*8(%rdi), %r8
	mov 9*8(%rdi), %r9
	mov 10*8(%rdi), %r10
	mov 11*8(%rdi), %r11
	mov 12*8(%rdi), %r12
	mov 13*8(%rdi), %r13
	mov 14*8(%rdi), %r14
	mov 15*8(%rdi), %r15
	mov 7*8(%rdi), %rdi
	jmp *slot_addr(%rip)

flat_ret:
	mov %rdi, tmp_rdi(%rip)
	mov out_ptr(%rip), %rdi
	mov %rax, 0*8(%rdi)
	mov %rcx, 1*8(%rdi)
	mov %rdx, 2*8(%rdi)
	mov %rbx, 3*8(%rdi)
	mov %rsp, 4*8(%rdi)
	mov %rbp, 5*8(%rdi)
	mov %rsi, 6*8(%rdi)
	mov %r8, 8*8(%rdi)
	mov %r9, 9*8(%rdi)
	mov %r10, 10*8(%rdi)
	mov %r11, 11*8(%rdi)
	mov %r12, 12*8(%rdi)
	mov %r13, 13*8(%rdi)
	mov %r14, 14*8(%rdi)
	mov %r15, 15*8(%rdi)
	mov tmp_rdi(%rip), %rax
	mov %rax, 7*8(%rdi)
	mov saved_rsp(%rip), %rsp
	pushfq
	popq CTX_RFLAGS(%rdi)
	xor %eax, %eax
finish:
	cld
	mov vec_mode(%rip), %ecx
	cmp $1, %ecx
	jb 4f
	ja 3f
	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu %xmm\r, CTX_VEC+32*\r(%rdi)
	.endr
	jmp 4f
3:
	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu %ymm\r, CTX_VEC+32*\r(%rdi)
	.endr
4:
	mov saved_cr3(%rip), %rdx
	mov %rdx, %cr3
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

/* From the exception hook, which has filled the out ctx's GPRs and RFLAGS. */
flat_abort:
	mov out_ptr(%rip), %rdi
	mov saved_rsp(%rip), %rsp
	mov $1, %eax
	jmp finish

	.data
	.align 8
slot_addr:	.quad SLOT
out_ptr:	.quad 0
saved_rsp:	.quad 0
saved_cr3:	.quad 0
tmp_rdi:	.quad 0
vec_mode:	.long 0

	.section .note.GNU-stack, "", @progbits
