/* Probe kernel for the QEMU page-walk differential test: multiboot1 entry, descriptor tables,
 * the access stub and the two ways into a case (legacy paging, IA-32e paging) and back.
 * Assembled as i386; the IA-32e parts are .code64 (no 64-bit relocations). */

#define KCS32 0x08
#define KDS   0x10
#define KCS64 0x18
#define UCS32 0x20
#define UDS   0x28
#define UCS64 0x30
#define TSS32 0x38
#define TSS64 0x40

/* struct wq_run (kmain.c) */
#define R_CR0  0
#define R_CR3  4
#define R_CR4  8
#define R_EFER 12
#define R_PKRU 16
#define R_PKRS 20
#define R_LALO 24
#define R_LAHI 28
#define R_OP   32
#define R_CPL  36
#define R_EFL  40

#define STUB_LA 0x400000

	.section .multiboot, "a"
	.align 4
	.long 0x1BADB002
	.long 0x00000003
	.long -(0x1BADB002 + 0x00000003)

	.text
	.code32
	.globl _start
_start:
	mov $boot_stack_top, %esp
	push %ebx
	push %eax
	lgdt gdt_desc
	ljmp $KCS32, $1f
1:	mov $KDS, %cx
	mov %cx, %ds
	mov %cx, %es
	mov %cx, %ss
	mov %cx, %fs
	mov %cx, %gs
	call kmain
2:	hlt
	jmp 2b

/* The access under test: ECX/RCX = operation, EBX/RBX = linear address. The same bytes run in
 * 32-bit and 64-bit code segments, at CPL 0 (this copy) and CPL 3 (the copy at STUB_LA).
 * Success ends in INT 0x80 (data) or in the INT3 bytes at the target (fetch). */
	.globl stub_start, stub_end
stub_start:
	mov $0xcc, %al
	cmp $1, %ecx
	je 1f
	cmp $2, %ecx
	je 2f
	mov (%ebx), %al
	int $0x80
1:	mov %al, (%ebx)
	int $0x80
2:	jmp *%ebx
stub_end:

/* Exception/interrupt entry: vector and error code (0 when the CPU pushes none) recorded. */
	.macro ISR32 v
isr32_\v:
	.if (\v == 8) || (\v >= 10 && \v <= 14) || (\v == 17) || (\v == 21)
	.else
	push $0
	.endif
	push $\v
	jmp common32
	.endm

	.macro ISR64 v
	.code64
isr64_\v:
	.if (\v == 8) || (\v >= 10 && \v <= 14) || (\v == 17) || (\v == 21)
	.else
	push $0
	.endif
	push $\v
	jmp common64
	.code32
	.endm

	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,128
	ISR32 \v
	ISR64 \v
	.endr

	.section .rodata
	.globl isr32_table, isr64_table
isr32_table:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,128
	.long isr32_\v
	.endr
isr64_table:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,128
	.long isr64_\v
	.endr
	.text

common32:
	mov $KDS, %ax
	mov %ax, %ds
	mov %ax, %es
	mov (%esp), %eax
	mov %eax, res_vector
	mov 4(%esp), %eax
	mov %eax, res_error
	mov 8(%esp), %eax
	mov %eax, res_rip
	mov %cr2, %eax
	mov %eax, res_cr2
	movl $0, res_cr2 + 4
	jmp teardown

	.code64
common64:
	mov $KDS, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov $res_vector, %edi
	mov (%rsp), %eax
	mov %eax, (%rdi)
	mov $res_error, %edi
	mov 8(%rsp), %eax
	mov %eax, (%rdi)
	mov $res_rip, %edi
	mov 16(%rsp), %eax
	mov %eax, (%rdi)
	mov $res_cr2, %edi
	mov %cr2, %rax
	mov %rax, (%rdi)
	mov $saved_esp, %eax
	mov (%rax), %esp
	push $KCS32
	mov $teardown, %eax
	push %rax
	lretq
	.code32

/* Back to 32-bit protected mode without paging (from legacy paging or compatibility mode). */
teardown:
	mov saved_esp, %esp
	mov %cr0, %eax
	and $0x7ffeffff, %eax
	mov %eax, %cr0
	mov $0xC0000080, %ecx
	rdmsr
	and $~0x900, %eax
	wrmsr
	xor %eax, %eax
	mov %eax, %cr4
	andl $~0x200, gdt + TSS32 + 4
	mov $TSS32, %ax
	ltr %ax
	lidt idt32_desc
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

/* EFER, CR3, CR4, PKRU, IA32_PKRS from the run record at %esi. */
setup_common:
	mov $0xC0000080, %ecx
	rdmsr
	and $~0x900, %eax
	or R_EFER(%esi), %eax
	wrmsr
	mov R_CR3(%esi), %eax
	mov %eax, %cr3
	mov R_CR4(%esi), %eax
	mov %eax, %cr4
	test $(1 << 22), %eax
	jz 1f
	mov R_PKRU(%esi), %eax
	xor %ecx, %ecx
	xor %edx, %edx
	.byte 0x0f, 0x01, 0xef /* wrpkru */
1:	mov R_CR4(%esi), %eax
	test $(1 << 24), %eax
	jz 2f
	mov $0x6E1, %ecx
	mov R_PKRS(%esi), %eax
	xor %edx, %edx
	wrmsr
2:	ret

/* void wq_run_legacy(struct wq_run *r): 32-bit or PAE paging. */
	.globl wq_run_legacy
wq_run_legacy:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov %esp, saved_esp
	mov 20(%esp), %esi
	call setup_common
	mov %cr0, %eax
	or R_CR0(%esi), %eax
	mov %eax, %cr0
	mov R_LALO(%esi), %ebx
	mov R_OP(%esi), %ecx
	cmpl $3, R_CPL(%esi)
	je 1f
	pushl R_EFL(%esi)
	pushl $KCS32
	pushl $stub_start
	iret
1:	mov $(UDS | 3), %ax
	mov %ax, %ds
	mov %ax, %es
	pushl $(UDS | 3)
	pushl $0
	pushl R_EFL(%esi)
	pushl $(UCS32 | 3)
	pushl $STUB_LA
	iret

/* void wq_run_long(struct wq_run *r): 4-level or 5-level paging, access from 64-bit code. */
	.globl wq_run_long
wq_run_long:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov %esp, saved_esp
	mov 20(%esp), %esi
	andl $~0x200, gdt + TSS64 + 4
	mov $TSS64, %ax
	ltr %ax
	call setup_common
	mov %cr0, %eax
	or R_CR0(%esi), %eax
	mov %eax, %cr0
	ljmp $KCS64, $long64

	.code64
long64:
	mov $idt64_desc, %eax
	lidt (%rax)
	mov %esi, %esi
	mov R_LAHI(%rsi), %ebx
	shl $32, %rbx
	mov R_LALO(%rsi), %eax
	or %rax, %rbx
	mov R_OP(%rsi), %ecx
	mov R_EFL(%rsi), %edx
	cmpl $3, R_CPL(%rsi)
	je 1f
	mov %rsp, %rax
	push $KDS
	push %rax
	push %rdx
	push $KCS64
	mov $stub_start, %eax
	push %rax
	iretq
1:	push $(UDS | 3)
	push $0
	push %rdx
	push $(UCS64 | 3)
	push $STUB_LA
	iretq
	.code32

	.data
	.align 16
	.globl gdt
gdt:
	.quad 0
	.quad 0x00CF9A000000FFFF /* KCS32 */
	.quad 0x00CF92000000FFFF /* KDS */
	.quad 0x00AF9A000000FFFF /* KCS64 */
	.quad 0x00CFFA000000FFFF /* UCS32 */
	.quad 0x00CFF2000000FFFF /* UDS */
	.quad 0x00AFFA000000FFFF /* UCS64 */
	.quad 0                  /* TSS32, filled by kmain */
	.quad 0, 0               /* TSS64, filled by kmain */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt
	.globl idt32_desc, idt64_desc
idt32_desc:
	.word 256 * 8 - 1
	.long idt32
idt64_desc:
	.word 256 * 16 - 1
	.long idt64
	.long 0

	.globl res_vector, res_error, res_rip, res_cr2
	.align 8
res_cr2:    .quad 0
res_vector: .long 0
res_error:  .long 0
res_rip:    .long 0
saved_esp:  .long 0

	.bss
	.align 16
	.globl idt32, idt64, exc_stack_top
idt32:	.space 256 * 8
idt64:	.space 256 * 16
	.space 16384
boot_stack_top:
	.space 16384
exc_stack_top:

	.section .note.GNU-stack, "", @progbits
