/* Application-processor start-up for the smp payload. smp_tramp_start..smp_tramp_end is copied
 * to a page below 1 MiB; a SIPI with that page's number starts it in real mode at CS = page <<
 * 8, IP = 0 (SDM Vol. 3A 8.4.4.1, 10.6.1). It counts the start, records CS, its own IP and the
 * machine status word, loads the GDT Keel built at 0x2000 (guest_boot.h) and jumps to
 * smp_ap_pm32 in the payload: 32-bit protected mode, then long mode on Keel's identity page
 * tables at 0x3000 in the 64-bit build, then smp_ap_main(APIC ID). */
#include "smp_tramp.h"

	.section .text.tramp, "ax"
	.code16
	.global smp_tramp_start, smp_tramp_end, smp_tramp_ip
smp_tramp_start:
	cli
	mov %cs, %ax
	mov %ax, %ds
	lock incl TR_COUNT
	mov %ax, TR_CS
	call 1f
smp_tramp_ip:
1:	pop %bx
	mov %bx, TR_IP
	smsw %bx
	mov %bx, TR_MSW
	lgdtl TR_GDTR
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl *TR_PM32
smp_tramp_end:

	.text
	.code32
	.global smp_ap_pm32
smp_ap_pm32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov 0xfee00020, %ebx
	shr $24, %ebx
	and $(SMP_MAX_CPUS - 1), %ebx
	lea 1(%ebx), %eax
	shl $SMP_STACK_SHIFT, %eax
	add $smp_ap_stacks, %eax
	mov %eax, %esp
#ifdef __x86_64__
	mov %cr4, %eax
	or $0x20, %eax              /* PAE */
	mov %eax, %cr4
	mov $0x3000, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $0x100, %eax             /* EFER.LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	ljmp $0x08, $2f
	.code64
2:	mov %esp, %esp              /* zero-extends into RSP */
	mov %ebx, %edi
	call smp_ap_main
#else
	push %ebx
	call smp_ap_main
#endif
3:	cli
	hlt
	jmp 3b

	.section .note.GNU-stack, "", @progbits
