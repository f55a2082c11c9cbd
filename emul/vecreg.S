/* The guest's live XMM/YMM registers at an exit: the one place the core touches vector state
 * (SDM Vol. 1 10.4, 14.1). Needs CR4.OSFXSR (and OSXSAVE with XCR0.AVX for YMM) set, and the
 * guest's vector state still loaded in the registers.
 * void emul_vec_read_live(void *ctx, unsigned reg, void *buf, unsigned len);
 * void emul_vec_write_live(void *ctx, unsigned reg, const void *buf, unsigned len, unsigned zero_to);
 * len is 4, 8, 16 or 32; zero_to 16 selects the legacy-SSE forms (bits 255:128 kept), 32 the VEX
 * forms (bits above len zeroed). */
	.text

.macro VREAD n
vread_\n:
	cmp	$16, %ecx
	je	1f
	ja	2f
	cmp	$4, %ecx
	je	3f
	movq	%xmm\n, (%rdx)
	ret
3:	movd	%xmm\n, (%rdx)
	ret
1:	movdqu	%xmm\n, (%rdx)
	ret
2:	vmovdqu	%ymm\n, (%rdx)
	ret
.endm

.macro VWRITE n
vwrite_\n:
	cmp	$32, %r8d
	je	5f
	cmp	$16, %ecx
	je	1f
	cmp	$4, %ecx
	je	3f
	movq	(%rdx), %xmm\n
	ret
3:	movd	(%rdx), %xmm\n
	ret
1:	movdqu	(%rdx), %xmm\n
	ret
5:	cmp	$32, %ecx
	je	2f
	cmp	$16, %ecx
	je	6f
	cmp	$4, %ecx
	je	7f
	vmovq	(%rdx), %xmm\n
	ret
7:	vmovd	(%rdx), %xmm\n
	ret
6:	vmovdqu	(%rdx), %xmm\n
	ret
2:	vmovdqu	(%rdx), %ymm\n
	ret
.endm

.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	VREAD \n
	VWRITE \n
.endr

	.globl	emul_vec_read_live
	.type	emul_vec_read_live, @function
emul_vec_read_live:
	and	$15, %esi
	lea	vread_tab(%rip), %rax
	movslq	(%rax,%rsi,4), %r9
	add	%r9, %rax
	jmp	*%rax
	.size	emul_vec_read_live, . - emul_vec_read_live

	.globl	emul_vec_write_live
	.type	emul_vec_write_live, @function
emul_vec_write_live:
	and	$15, %esi
	lea	vwrite_tab(%rip), %rax
	movslq	(%rax,%rsi,4), %r9
	add	%r9, %rax
	jmp	*%rax
	.size	emul_vec_write_live, . - emul_vec_write_live

	.section .rodata
	.balign	4
vread_tab:
.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.long	vread_\n - vread_tab
.endr
vwrite_tab:
.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.long	vwrite_\n - vwrite_tab
.endr

	.section .note.GNU-stack, "", @progbits
