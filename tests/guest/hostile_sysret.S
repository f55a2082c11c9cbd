/* user_hcall(nr, a, b, c, out, intel): one hypercall from CPL 3. SYSRETQ drops to the user code
 * segment STAR[63:48] + 16 (SDM Vol. 2B SYSRET), the user code makes the call and comes back with
 * SYSCALL to LSTAR at CPL 0 (no stack switch); out[0..3] = RAX, RBX, RCX, RDX after the call,
 * out[4] = the CS the call ran with. The caller set up EFER.SCE, STAR, LSTAR and the U bits. */
	.text
	.code64
	.globl user_hcall
user_hcall:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, k_rsp(%rip)
	mov %r8, k_out(%rip)
	mov %rdi, u_in(%rip)
	mov %rsi, u_in+8(%rip)
	mov %rdx, u_in+16(%rip)
	mov %rcx, u_in+24(%rip)
	mov %r9, u_intel(%rip)
	lea user_code(%rip), %rcx
	mov $0x2, %r11		/* RFLAGS for CPL 3: IF clear, nothing else */
	sysretq

user_code:
	mov u_in(%rip), %rax
	mov u_in+8(%rip), %rbx
	mov u_in+16(%rip), %rcx
	mov u_in+24(%rip), %rdx
	cmpq $0, u_intel(%rip)
	jne 1f
	vmmcall
	jmp 2f
1:	vmcall
2:	mov %rax, u_res(%rip)
	mov %rbx, u_res+8(%rip)
	mov %rcx, u_res+16(%rip)
	mov %rdx, u_res+24(%rip)
	mov %cs, %eax
	mov %rax, u_res+32(%rip)
	syscall

	.globl user_hcall_back
user_hcall_back:
	mov k_rsp(%rip), %rsp
	mov k_out(%rip), %rdi
	lea u_res(%rip), %rsi
	mov $5, %ecx
	rep movsq
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

	.data
	.balign 8
k_rsp:	.quad 0
k_out:	.quad 0
u_in:	.quad 0, 0, 0, 0
u_intel: .quad 0
u_res:	.quad 0, 0, 0, 0, 0
	.section .note.GNU-stack, "", @progbits
