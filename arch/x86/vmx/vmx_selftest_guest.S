/* Guest code for the VMX self-test (vmx_selftest.c), one blob per CPU mode, each loaded at
 * guest-physical 0x1000 with CS base 0. Every blob has the same labelled points, listed in the
 * same order as enum vst_mark in vmx_selftest.h, so the test knows where each exit must be
 * from the assembler and not from the backend. Addresses: 0x40120 and 0x41008 have nothing
 * mapped; the stack page 0x20000 is mapped only after the first fault on it. The "extra"
 * part differs by mode: an intercepted INT3 (real), a JMP to a TSS (protected), RDMSR/OUT
 * pass-through (long). */

.macro MARKS p
	.short \p\()_cpuid_at - \p\()_start, \p\()_cpuid_end - \p\()_start
	.short \p\()_out_at - \p\()_start, \p\()_out_end - \p\()_start
	.short \p\()_in_at - \p\()_start, \p\()_in_end - \p\()_start
	.short \p\()_outs_at - \p\()_start, \p\()_outs_end - \p\()_start
	.short \p\()_read_at - \p\()_start, \p\()_read_end - \p\()_start
	.short \p\()_write_at - \p\()_start, \p\()_write_end - \p\()_start
	.short \p\()_crcall_at - \p\()_start, \p\()_crcall_end - \p\()_start
	.short \p\()_vmxe_at - \p\()_start, \p\()_vmxe_end - \p\()_start
	.short \p\()_hlt_at - \p\()_start, \p\()_hlt_end - \p\()_start
	.short \p\()_win_at - \p\()_start
	.short \p\()_hlt2_at - \p\()_start, \p\()_hlt2_end - \p\()_start
	.short \p\()_final_at - \p\()_start, \p\()_final_end - \p\()_start
	.short \p\()_extra_start - \p\()_start, \p\()_extra_at - \p\()_start, \p\()_extra_end - \p\()_start
	.short \p\()_handler - \p\()_start, \p\()_handler_end - \p\()_start
	.short \p\()_iret - \p\()_start, \p\()_end - \p\()_start
.endm

	.section .rodata.vst, "a"

/* ---- real mode ---- */
	.code16
	.global vst_blob16
vst_blob16:
g16_start:
	mov $0, %eax
g16_cpuid_at:
	cpuid
g16_cpuid_end:
	mov $0x5a, %al
g16_out_at:
	out %al, $0x80
g16_out_end:
	mov $0x1f0, %dx
g16_in_at:
	in (%dx), %ax
g16_in_end:
	mov $0x2f8, %dx
	mov $0x1000, %si
	mov $3, %cx
g16_outs_at:
	rep outsb
g16_outs_end:
	mov $0x4000, %ax
	mov %ax, %ds
g16_read_at:
	mov 0x120, %eax
g16_read_end:
g16_write_at:
	mov %eax, 0x1008
g16_write_end:
	xor %ax, %ax
	mov %ax, %ds
	mov %cr0, %eax
	mov %eax, %ebx
	or $0x20, %eax
	mov %eax, %cr0
	mov %cr0, %ecx
	and $~0x20, %eax
	mov %eax, %cr0
	mov %cr0, %edx
	mov %cr4, %esi
g16_crcall_at:
	vmcall
g16_crcall_end:
	mov %cr4, %eax
	or $0x2000, %eax
g16_vmxe_at:
	mov %eax, %cr4
g16_vmxe_end:
g16_hlt_at:
	hlt
g16_hlt_end:
	mov $0x2000, %ax
	mov %ax, %ss
	mov $0x1000, %sp
	sti
	nop
g16_win_at:
	cli
	xor %ax, %ax
	mov %ax, %ss
	mov $0xf000, %sp
g16_hlt2_at:
	hlt
g16_hlt2_end:
	mov $0x11111111, %eax
	mov $0x22222222, %ecx
	mov $0x33333333, %edx
	mov $0x44444444, %ebx
	mov $0xeff0, %esp
	mov $0x66666666, %ebp
	mov $0x77777777, %esi
	mov $0x88888888, %edi
g16_final_at:
	vmcall
g16_final_end:
g16_extra_start:
g16_extra_at:
	int3
g16_extra_end:
	jmp g16_extra_end
g16_handler:
	vmcall
g16_handler_end:
	jmp g16_handler
g16_iret:
	iret
g16_end:

/* ---- 32-bit protected mode, paging off ---- */
	.code32
	.global vst_blob32
vst_blob32:
g32_start:
	mov $0, %eax
g32_cpuid_at:
	cpuid
g32_cpuid_end:
	mov $0x5a, %al
g32_out_at:
	out %al, $0x80
g32_out_end:
	mov $0x1f0, %dx
g32_in_at:
	in (%dx), %ax
g32_in_end:
	mov $0x2f8, %dx
	mov $0x1000, %esi
	mov $3, %ecx
g32_outs_at:
	rep outsb
g32_outs_end:
g32_read_at:
	mov 0x40120, %eax
g32_read_end:
g32_write_at:
	mov %eax, 0x41008
g32_write_end:
	mov %cr0, %eax
	mov %eax, %ebx
	or $0x20, %eax
	mov %eax, %cr0
	mov %cr0, %ecx
	and $~0x20, %eax
	mov %eax, %cr0
	mov %cr0, %edx
	mov %cr4, %esi
g32_crcall_at:
	vmcall
g32_crcall_end:
	mov %cr4, %eax
	or $0x2000, %eax
g32_vmxe_at:
	mov %eax, %cr4
g32_vmxe_end:
g32_hlt_at:
	hlt
g32_hlt_end:
	mov $0x21000, %esp
	sti
	nop
g32_win_at:
	cli
	mov $0xf000, %esp
g32_hlt2_at:
	hlt
g32_hlt2_end:
	mov $0x11111111, %eax
	mov $0x22222222, %ecx
	mov $0x33333333, %edx
	mov $0x44444444, %ebx
	mov $0xeff0, %esp
	mov $0x66666666, %ebp
	mov $0x77777777, %esi
	mov $0x88888888, %edi
g32_final_at:
	vmcall
g32_final_end:
g32_extra_start:
g32_extra_at:
	ljmp $0x20, $0
g32_extra_end:
	jmp g32_extra_end
g32_handler:
	vmcall
g32_handler_end:
	jmp g32_handler
g32_iret:
	iret
g32_end:

/* ---- 64-bit long mode ---- */
	.code64
	.global vst_blob64
vst_blob64:
g64_start:
	mov $0, %eax
g64_cpuid_at:
	cpuid
g64_cpuid_end:
	mov $0x5a, %al
g64_out_at:
	out %al, $0x80
g64_out_end:
	mov $0x1f0, %dx
g64_in_at:
	in (%dx), %ax
g64_in_end:
	mov $0x2f8, %dx
	mov $0x1000, %esi
	mov $3, %ecx
g64_outs_at:
	rep outsb
g64_outs_end:
g64_read_at:
	mov 0x40120, %eax
g64_read_end:
g64_write_at:
	mov %eax, 0x41008
g64_write_end:
	mov %cr0, %rax
	mov %rax, %rbx
	or $0x20, %rax
	mov %rax, %cr0
	mov %cr0, %rcx
	and $~0x20, %rax
	mov %rax, %cr0
	mov %cr0, %rdx
	mov %cr4, %rsi
g64_crcall_at:
	vmcall
g64_crcall_end:
	mov %cr4, %rax
	or $0x2000, %rax
g64_vmxe_at:
	mov %rax, %cr4
g64_vmxe_end:
g64_hlt_at:
	hlt
g64_hlt_end:
	mov $0x21000, %esp
	sti
	nop
g64_win_at:
	cli
	mov $0xf000, %esp
g64_hlt2_at:
	hlt
g64_hlt2_end:
	movabs $0x1111111111111111, %rax
	movabs $0x2222222222222222, %rcx
	movabs $0x3333333333333333, %rdx
	movabs $0x4444444444444444, %rbx
	mov $0xeff0, %esp
	movabs $0x6666666666666666, %rbp
	movabs $0x7777777777777777, %rsi
	movabs $0x8888888888888888, %rdi
	movabs $0x9999999999999999, %r8
	movabs $0xaaaaaaaaaaaaaaaa, %r9
	movabs $0xbbbbbbbbbbbbbbbb, %r10
	movabs $0xcccccccccccccccc, %r11
	movabs $0xdddddddddddddddd, %r12
	movabs $0xeeeeeeeeeeeeeeee, %r13
	movabs $0xf0f0f0f0f0f0f0f0, %r14
	movabs $0x0f0f0f0f0f0f0f0f, %r15
g64_final_at:
	vmcall
g64_final_end:
g64_extra_start:
	mov $0xc0000100, %ecx
	rdmsr
	mov %eax, %r8d
	mov %edx, %r9d
	mov $0x5a, %al
	out %al, $0x80
	mov $0x1b, %ecx
g64_extra_at:
	rdmsr
g64_extra_end:
	jmp g64_extra_end
g64_handler:
	vmcall
g64_handler_end:
	jmp g64_handler
g64_iret:
	iretq
g64_end:

/* ---- 32-bit protected mode turning on PAE paging together with CR0.NE: the write exits
 * (NE is Keel's), so the backend must load the PDPTEs itself ---- */
	.code32
	.global vst_blob_pae, vst_pae_read_at, vst_pae_end
vst_blob_pae:
	mov %cr0, %eax
	or $0x80000020, %eax
	mov %eax, %cr0
vst_pae_read_at:
	mov 0x40120, %eax
vst_pae_end:

	.global vst_marks16, vst_marks32, vst_marks64
	.balign 2
vst_marks16:
	MARKS g16
vst_marks32:
	MARKS g32
vst_marks64:
	MARKS g64

	.section .note.GNU-stack, "", @progbits
