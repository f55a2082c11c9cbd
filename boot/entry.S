/* Keel entry: multiboot2 and multiboot1 (a.out kludge) headers, 32-bit → 64-bit switch. */
#define MB2_MAGIC   0xE85250D6
#define MB1_MAGIC   0x1BADB002
#define MB1_FLAGS   0x00010003      /* page-align modules, memory info, a.out-kludge address fields */
#define COM1        0x3f8

	.section .multiboot, "a"
	.align 8
mb2_start:
	.long MB2_MAGIC, 0, mb2_end - mb2_start
	.long 0x100000000 - (MB2_MAGIC + (mb2_end - mb2_start))
	.align 8
	.short 6, 0                     /* module alignment: page-align modules */
	.long 8
	.align 8
	.short 0, 0                     /* end tag */
	.long 8
mb2_end:
	.align 4
mb1_hdr:
	.long MB1_MAGIC, MB1_FLAGS, 0x100000000 - (MB1_MAGIC + MB1_FLAGS)
	.long mb1_hdr, _load_start, _load_end, _bss_end, _start32

	.section .text.boot, "ax"
	.code32
	.global _start32
_start32:
	cli
	cld
	mov %eax, boot_magic            /* .data, not .bss: survives the bss clear */
	mov %ebx, boot_mbi
	mov $_bss_start, %edi
	mov $_bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov $boot_stack_top, %esp

	/* Long mode is CPUID.80000001h:EDX[29] (SDM Vol. 2A CPUID); without it say so and stop. */
	mov $0x80000000, %eax
	cpuid
	cmp $0x80000001, %eax
	jb no_long_mode
	mov $0x80000001, %eax
	cpuid
	bt $29, %edx
	jnc no_long_mode

	/* Identity map 0–4 GiB with 2 MiB pages: PML4[0] → PDPT[0..3] → 4 page directories. */
	mov $boot_pdpt + 3, %eax
	mov %eax, boot_pml4
	mov $boot_pd + 3, %eax
	xor %ecx, %ecx
1:	mov %eax, boot_pdpt(,%ecx,8)
	add $4096, %eax
	inc %ecx
	cmp $4, %ecx
	jb 1b
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $21, %eax
	or $0x83, %eax                  /* present, writable, 2 MiB page */
	mov %eax, boot_pd(,%ecx,8)
	inc %ecx
	cmp $2048, %ecx
	jb 2b

	mov %cr4, %eax
	or $0x20, %eax                  /* CR4.PAE */
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx           /* IA32_EFER.LME (SDM Vol. 3A 9.8.5) */
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80010021, %eax            /* PG | WP | NE | PE */
	mov %eax, %cr0
	lgdt boot_gdtr
	ljmp $0x08, $start64

no_long_mode:
	mov $msg_no_lm, %esi
	call early_puts32
3:	hlt
	jmp 3b

/* Programs COM1 (115200 8N1) and writes the NUL-terminated string at %esi to it and to port 0xE9. */
early_puts32:
	mov $COM1 + 3, %dx
	mov $0x80, %al
	out %al, %dx
	mov $COM1, %dx
	mov $1, %al
	out %al, %dx
	mov $COM1 + 1, %dx
	xor %al, %al
	out %al, %dx
	mov $COM1 + 3, %dx
	mov $3, %al
	out %al, %dx
4:	lodsb
	test %al, %al
	jz 6f
	mov %al, %ah
	mov $COM1 + 5, %dx
5:	in %dx, %al
	test $0x20, %al
	jz 5b
	mov $COM1, %dx
	mov %ah, %al
	out %al, %dx
	out %al, $0xe9
	jmp 4b
6:	ret

	.code64
start64:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	mov $boot_stack_top, %rsp
	xor %ebp, %ebp
	mov boot_magic(%rip), %edi
	mov boot_mbi(%rip), %esi
	call kmain
7:	cli
	hlt
	jmp 7b

	.section .rodata
msg_no_lm:
	.asciz "keel: fatal: this CPU has no long mode (CPUID.80000001h:EDX.LM=0)\r\n"
	.align 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
boot_gdtr:
	.short boot_gdtr - boot_gdt - 1
	.long boot_gdt

	.data
	.global boot_magic, boot_mbi
	.align 4
boot_magic: .long 0
boot_mbi:  .long 0

	.bss
	.align 4096
	.global boot_pml4, boot_pdpt, boot_pd, boot_stack, boot_stack_top
boot_pml4:  .skip 4096
boot_pdpt:  .skip 4096
boot_pd:    .skip 4 * 4096
	.align 16
boot_stack: .skip 16384
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
