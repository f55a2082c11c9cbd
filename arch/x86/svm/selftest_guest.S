/* Guest code for the backend self-test (svm_selftest.c): one blob per CPU mode, copied to
 * guest-physical 0xa000. T marks an instruction the host expects an exit at: `name` is its
 * address and `name_end` the next one, so the assembler is the oracle for RIPs and lengths. */
.macro T name, insn:vararg
	.globl \name, \name\()_end
\name:	\insn
\name\()_end:
.endm

	.section .rodata.guest, "a"

/* Real mode: CS base 0xa000, DS/ES/SS base 0, SP 0xfff0. */
	.code16
	.globl g16_start, g16_end, g16_after_sti, g16_h40
g16_start:
	xor %eax, %eax
	T g16_cpuid, cpuid
	T g16_out, outl %eax, $0x80
	mov $0x70, %dx
	T g16_in, inb %dx, %al
	mov $0x9000, %si
	mov $3, %cx
	mov $0x80, %dx
	T g16_outs, rep outsb
	mov $0x2000, %ax
	mov %ax, %es
	T g16_npf_read, movl %es:0x10, %eax
	T g16_npf_write, movl %eax, %es:0x20
	T g16_hlt, hlt
	mov %ebx, %eax
	add %ecx, %eax
	add %edx, %eax
	add %esi, %eax
	add %edi, %eax
	add %ebp, %eax
	T g16_sum, vmmcall
	cli
	T g16_nmi, vmmcall
	T g16_win, vmmcall
	sti
	nop
g16_after_sti:
	T g16_done, vmmcall
	T g16_park, hlt
	jmp g16_park
	T g16_h_nmi, outb %al, $0x82
	iret
g16_h40:
	mov $0x40, %al
	T g16_h40_out, outb %al, $0x83
	iret
g16_end:

/* 32-bit protected mode, flat segments (CS 0x08, data 0x10), GDT limit 0x1f. */
	.code32
	.globl g32_start, g32_end, g32_h13
g32_start:
	xor %eax, %eax
	T g32_cpuid, cpuid
	T g32_out, outl %eax, $0x80
	mov $0x70, %dx
	T g32_in, inb %dx, %al
	mov $0x9000, %esi
	mov $3, %ecx
	mov $0x80, %dx
	T g32_outs, rep outsb
	T g32_npf_read, movl 0xfeb00000, %eax
	T g32_npf_write, movl %eax, 0xfeb00010
	T g32_hlt, hlt
	mov %ebx, %eax
	add %ecx, %eax
	add %edx, %eax
	add %esi, %eax
	add %edi, %eax
	add %ebp, %eax
	T g32_sum, vmmcall
	outb %al, $0x88
	T g32_io80, outb %al, $0x80
	T g32_ud, ud2
	mov $0x5b, %ax
	T g32_gp, movw %ax, %ds
	T g32_inj, vmmcall
	T g32_tss_go, vmmcall
	T g32_tss, ljmp $0x20, $0
	T g32_done, vmmcall
1:	hlt
	jmp 1b
g32_h13:
	pop %eax
	T g32_h13_out, outl %eax, $0x84
	iret
g32_end:

/* 64-bit long mode: CS 0x18, guest page tables identity-map 0-4 GiB with 2 MiB pages. */
	.code64
	.globl g64_start, g64_end, g64_h14, g64_h41
g64_start:
	xor %eax, %eax
	T g64_cpuid, cpuid
	T g64_out, outl %eax, $0x80
	mov $0x70, %dx
	T g64_in, inb %dx, %al
	mov $0x9000, %esi
	mov $3, %ecx
	mov $0x80, %dx
	T g64_outs, rep outsb
	T g64_npf_read, movabs 0xfeb00000, %eax
	T g64_npf_write, movabs %eax, 0xfeb00010
	T g64_hlt, hlt
	mov %ebx, %eax
	add %ecx, %eax
	add %edx, %eax
	add %esi, %eax
	add %edi, %eax
	add %ebp, %eax
	add %r8d, %eax
	add %r9d, %eax
	add %r10d, %eax
	add %r11d, %eax
	add %r12d, %eax
	add %r13d, %eax
	add %r14d, %eax
	add %r15d, %eax
	T g64_sum, vmmcall
	mov $0xc0000100, %ecx
	rdmsr
	T g64_fs, outl %eax, $0x80
	mov $0xc0000080, %ecx
	T g64_efer, rdmsr
	mov $0xc0000102, %ecx
	mov $0x55667788, %eax
	xor %edx, %edx
	wrmsr
	T g64_kgs, vmmcall
	rdtsc
	T g64_tsc, vmmcall
	T g64_pf, movabs 0x100000000, %eax
	T g64_injpf, vmmcall
	mov $0xfeb01000, %ebx
	T g64_fetch, call *%rbx
	mov $0x31000, %ebx
	T g64_nx, call *%rbx
	T g64_ro, movl %eax, 0x32000
	mov $0x30100, %esp
	T g64_reinj, vmmcall
	mov $0x10000, %esp
	T g64_done, vmmcall
1:	hlt
	jmp 1b
g64_h14:
	pop %rax
	T g64_h14_err, outl %eax, $0x85
	mov %cr2, %rax
	T g64_h14_cr2, outl %eax, $0x86
	iretq
g64_h41:
	mov $0x41, %al
	T g64_h41_out, outb %al, $0x83
	iretq
g64_end:

	.section .note.GNU-stack, "", @progbits
