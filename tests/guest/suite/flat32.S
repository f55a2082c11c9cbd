/* The paged engine's run in 32-bit protected mode (flat64.S's twin): DS ES FS GS come from the
 * descriptors at 0x30-0x48 (bases per case), reloaded flat on the way back. */
#define CTX_RFLAGS 128
#define CTX_VEC    160
#define SEL_FLAT   0x10

	.text
	.code32
/* int flat_exec(const struct ctx *in, struct ctx *out, uint32_t cr3, unsigned vec) */
	.global flat_exec, flat_ret, flat_abort, slot_addr
flat_exec:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov 20(%esp), %eax
	mov 24(%esp), %edx
	mov %edx, out_ptr
	mov 32(%esp), %ecx
	mov %ecx, vec_mode
	mov %esp, saved_esp
	mov %cr3, %edx
	mov %edx, saved_cr3
	cmp $1, %ecx
	jb 2f
	ja 1f
	.irp r, 0,1,2,3,4,5,6,7
	movdqu CTX_VEC+32*\r(%eax), %xmm\r
	.endr
	jmp 2f
1:
	.irp r, 0,1,2,3,4,5,6,7
	vmovdqu CTX_VEC+32*\r(%eax), %ymm\r
	.endr
2:
	mov 28(%esp), %edx
	mov %edx, %cr3
	mov $0x38, %ecx
	mov %ecx, %es
	mov $0x40, %ecx
	mov %ecx, %fs
	mov $0x48, %ecx
	mov %ecx, %gs
	pushl CTX_RFLAGS(%eax)
	popfl
	mov 1*8(%eax), %ecx
	mov 2*8(%eax), %edx
	mov 3*8(%eax), %ebx
	mov 4*8(%eax), %esp
	mov 5*8(%eax), %ebp
	mov 6*8(%eax), %esi
	mov 7*8(%eax), %edi
	mov %cs:sel_ds, %ds
	mov %cs:0(%eax), %eax
	jmp *%cs:slot_addr

flat_ret:
	mov %cs:sel_flat, %ds
	mov %eax, tmp_eax
	mov out_ptr, %eax
	mov %ecx, 1*8(%eax)
	mov %edx, 2*8(%eax)
	mov %ebx, 3*8(%eax)
	mov %esp, 4*8(%eax)
	mov %ebp, 5*8(%eax)
	mov %esi, 6*8(%eax)
	mov %edi, 7*8(%eax)
	mov tmp_eax, %ecx
	mov %ecx, 0*8(%eax)
	mov saved_esp, %esp
	pushfl
	popl CTX_RFLAGS(%eax)
	mov %eax, %edi
	xor %eax, %eax
finish:
	cld
	mov $SEL_FLAT, %ecx
	mov %ecx, %ds
	mov %ecx, %es
	mov %ecx, %fs
	mov %ecx, %gs
	mov vec_mode, %ecx
	cmp $1, %ecx
	jb 4f
	ja 3f
	.irp r, 0,1,2,3,4,5,6,7
	movdqu %xmm\r, CTX_VEC+32*\r(%edi)
	.endr
	jmp 4f
3:
	.irp r, 0,1,2,3,4,5,6,7
	vmovdqu %ymm\r, CTX_VEC+32*\r(%edi)
	.endr
4:
	mov saved_cr3, %edx
	mov %edx, %cr3
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

/* From the exception hook (the stub reloaded DS and ES), which has filled the out ctx. */
flat_abort:
	mov out_ptr, %edi
	mov saved_esp, %esp
	mov $1, %eax
	jmp finish

	.data
	.align 4
slot_addr:	.long 0xfeaf8000
out_ptr:	.long 0
saved_esp:	.long 0
saved_cr3:	.long 0
tmp_eax:	.long 0
vec_mode:	.long 0
sel_ds:		.word 0x30
sel_flat:	.word SEL_FLAT

	.section .note.GNU-stack, "", @progbits
