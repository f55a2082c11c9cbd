/* Runs one instruction natively for the host-CPU oracle: loads the guest GPRs, RFLAGS and
 * YMM/XMM registers from cpu_ctx, jumps to the instruction page (which ends with a jump to
 * cpu_back_*), then saves them back. void cpu_run_avx(void); void cpu_run_sse(void); */
	.intel_syntax noprefix
	.data
	.balign 64
	.globl	cpu_ctx
cpu_ctx:
	.skip	160 + 16 * 32

	.text
.macro LOADGPR
	push	qword ptr [rip + cpu_ctx + 128]
	popfq
	mov	rax, [rip + cpu_ctx + 0]
	mov	rcx, [rip + cpu_ctx + 8]
	mov	rdx, [rip + cpu_ctx + 16]
	mov	rbx, [rip + cpu_ctx + 24]
	mov	rbp, [rip + cpu_ctx + 40]
	mov	rsi, [rip + cpu_ctx + 48]
	mov	rdi, [rip + cpu_ctx + 56]
	mov	r8, [rip + cpu_ctx + 64]
	mov	r9, [rip + cpu_ctx + 72]
	mov	r10, [rip + cpu_ctx + 80]
	mov	r11, [rip + cpu_ctx + 88]
	mov	r12, [rip + cpu_ctx + 96]
	mov	r13, [rip + cpu_ctx + 104]
	mov	r14, [rip + cpu_ctx + 112]
	mov	r15, [rip + cpu_ctx + 120]
	mov	rsp, [rip + cpu_ctx + 32]
	jmp	qword ptr [rip + cpu_ctx + 136]
.endm

.macro SAVEGPR
	mov	[rip + cpu_ctx + 0], rax
	mov	[rip + cpu_ctx + 8], rcx
	mov	[rip + cpu_ctx + 16], rdx
	mov	[rip + cpu_ctx + 24], rbx
	mov	[rip + cpu_ctx + 32], rsp
	mov	[rip + cpu_ctx + 40], rbp
	mov	[rip + cpu_ctx + 48], rsi
	mov	[rip + cpu_ctx + 56], rdi
	mov	[rip + cpu_ctx + 64], r8
	mov	[rip + cpu_ctx + 72], r9
	mov	[rip + cpu_ctx + 80], r10
	mov	[rip + cpu_ctx + 88], r11
	mov	[rip + cpu_ctx + 96], r12
	mov	[rip + cpu_ctx + 104], r13
	mov	[rip + cpu_ctx + 112], r14
	mov	[rip + cpu_ctx + 120], r15
	mov	rsp, [rip + cpu_ctx + 144]
	pushfq
	pop	qword ptr [rip + cpu_ctx + 128]
	cld
.endm

.macro ENTER
	push	rbx
	push	rbp
	push	r12
	push	r13
	push	r14
	push	r15
	mov	[rip + cpu_ctx + 144], rsp
.endm

.macro LEAVE
	pop	r15
	pop	r14
	pop	r13
	pop	r12
	pop	rbp
	pop	rbx
	ret
.endm

	.globl	cpu_run_avx
cpu_run_avx:
	ENTER
.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	vmovdqu	ymm\n, [rip + cpu_ctx + 160 + 32 * \n]
.endr
	LOADGPR
	.globl	cpu_back_avx
cpu_back_avx:
	SAVEGPR
.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	vmovdqu	[rip + cpu_ctx + 160 + 32 * \n], ymm\n
.endr
	vzeroupper
	LEAVE

	.globl	cpu_run_sse
cpu_run_sse:
	ENTER
.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	movdqu	xmm\n, [rip + cpu_ctx + 160 + 32 * \n]
.endr
	LOADGPR
	.globl	cpu_back_sse
cpu_back_sse:
	SAVEGPR
.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	movdqu	[rip + cpu_ctx + 160 + 32 * \n], xmm\n
.endr
	LEAVE

	.section .note.GNU-stack, "", @progbits
