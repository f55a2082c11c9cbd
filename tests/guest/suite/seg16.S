/* The segment engine's run (real mode and 16-bit protected mode), called from 32-bit protected
 * mode with paging off. It lives in .low (linked at SC_LOW_BASE, 0x90000) so that one code segment
 * with that base serves 16-bit protected mode and real mode (CS = 0x9000). The data segments are
 * loaded in 16-bit protected mode from descriptors whose bases the caller set, and real mode
 * keeps those bases (SDM Vol. 3A 9.9.2: a segment register keeps its cache until reloaded), so
 * the instruction sees the window, RAM or the stack at the case's offsets. Between loading the
 * case's flags and SS and the end of the instruction, nothing uses the stack. */
#define LOW        0x90000
#define O(x)       ((x) - low_start) /* offset in the code segment (.low starts at LOW) */
#define SEL_CODE16 0x50
#define SEL_DATA16 0x58   /* base LOW, 64 KiB: the thunk's own data */
#define SEL_FLAT   0x10
#define SEL_CODE32 0x18
#define CTX_RFLAGS 128
#define CTX_VEC    160

	.section .low, "awx"
	.code32
low_start:
/* int seg_exec(const struct ctx *in, struct ctx *out, unsigned real, unsigned vec) */
	.global seg_exec, seg_back, seg_sel, seg_state
seg_exec:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov %esp, saved_esp
	movl $0, exc_flag
	mov 20(%esp), %esi
	mov 24(%esp), %edi
	mov %edi, out_ptr
	mov 32(%esp), %ecx
	mov %ecx, vec_mode
	cmp $1, %ecx
	jb 2f
	ja 1f
	.irp r, 0,1,2,3,4,5,6,7
	movdqu CTX_VEC+32*\r(%esi), %xmm\r
	.endr
	jmp 2f
1:
	.irp r, 0,1,2,3,4,5,6,7
	vmovdqu CTX_VEC+32*\r(%esi), %ymm\r
	.endr
2:
	mov $8, %ecx
	mov $gpr, %edi
3:	mov (%esi), %eax
	mov %eax, (%edi)
	add $8, %esi
	add $4, %edi
	loop 3b
	mov CTX_RFLAGS-64(%esi), %eax
	mov %eax, eflags
	mov 28(%esp), %eax
	test %eax, %eax
	movw $O(to_real), after_flags
	movw $O(back_real), after_back
	movw $0x9000, thunk_sel
	jnz 4f
	movw $O(go), after_flags
	movw $O(pm_back), after_back
	movw $SEL_DATA16, thunk_sel
4:	mov %cr0, %eax
	mov %eax, cr0_prot
	and $~1, %eax
	mov %eax, cr0_real
	ljmp $SEL_CODE16, $O(pm16)

	.code16
pm16:
	mov %cs:O(seg_sel) + 0, %es
	mov %cs:O(seg_sel) + 6, %ds
	mov %cs:O(seg_sel) + 8, %fs
	mov %cs:O(seg_sel) + 10, %gs
	mov $SEL_DATA16, %ax
	mov %ax, %ss
	mov $O(stack_top), %sp
	pushl %cs:O(eflags)
	popfl
	mov %cs:O(seg_sel) + 4, %ss
	jmp *%cs:O(after_flags)
to_real:
	mov %cs:O(cr0_real), %eax
	mov %eax, %cr0
	ljmp $(LOW >> 4), $O(go)
go:
	mov %cs:O(gpr) + 4, %ecx
	mov %cs:O(gpr) + 8, %edx
	mov %cs:O(gpr) + 12, %ebx
	mov %cs:O(gpr) + 16, %esp
	mov %cs:O(gpr) + 20, %ebp
	mov %cs:O(gpr) + 24, %esi
	mov %cs:O(gpr) + 28, %edi
	mov %cs:O(gpr) + 0, %eax
	jmp *%cs:O(slot_ptr)

seg_back:
	mov %cs:O(thunk_sel), %ds
	mov %eax, O(gpr) + 0
	mov %ecx, O(gpr) + 4
	mov %edx, O(gpr) + 8
	mov %ebx, O(gpr) + 12
	mov %esp, O(gpr) + 16
	mov %ebp, O(gpr) + 20
	mov %esi, O(gpr) + 24
	mov %edi, O(gpr) + 28
	mov %cs:O(thunk_sel), %ss
	mov $O(stack_top), %sp
	pushfl
	popl O(eflags)
	jmp *%cs:O(after_back)
back_real:
	mov %cs:O(cr0_prot), %eax
	mov %eax, %cr0
	ljmp $SEL_CODE16, $O(pm_back)
pm_back:
	mov $SEL_FLAT, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	ljmpl $SEL_CODE32, $back32

	.code32
back32:
	mov saved_esp, %esp
	cld
	mov out_ptr, %edi
	mov $gpr, %esi
	mov $8, %ecx
5:	mov (%esi), %eax
	mov %eax, (%edi)
	movl $0, 4(%edi)
	add $4, %esi
	add $8, %edi
	loop 5b
	mov out_ptr, %edi
	mov eflags, %eax
	mov %eax, CTX_RFLAGS(%edi)
	movl $0, CTX_RFLAGS+4(%edi)
	mov vec_mode, %ecx
	cmp $1, %ecx
	jb 7f
	ja 6f
	.irp r, 0,1,2,3,4,5,6,7
	movdqu %xmm\r, CTX_VEC+32*\r(%edi)
	.endr
	jmp 7f
6:
	.irp r, 0,1,2,3,4,5,6,7
	vmovdqu %ymm\r, CTX_VEC+32*\r(%edi)
	.endr
7:
	mov exc_flag, %eax
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

/* Exceptions in the run: 16-bit gates (protected mode) and IVT entries (real mode) lead here
 * with the vector pushed; the case's stack is RAM then (the window as SS is never caught). The
 * frame is IP, CS, FLAGS (16 bits each), after an error code for 8, 10-14 and 17 in protected
 * mode (SDM Vol. 3A 6.12.1, 20.1.4). */
	.code16
	.global seg_exc_stubs
	.align 8
seg_exc_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.align 8
	pushw $\v
	jmp seg_exc
	.endr
seg_exc:
	mov %cs:O(thunk_sel), %ds
	mov %eax, O(gpr) + 0
	mov %ecx, O(gpr) + 4
	mov %edx, O(gpr) + 8
	mov %ebx, O(gpr) + 12
	mov %ebp, O(gpr) + 20
	mov %esi, O(gpr) + 24
	mov %edi, O(gpr) + 28
	mov %sp, %bp
	movzwl %ss:(%bp), %eax
	mov %eax, O(exc_vector)
	add $2, %bp
	movl $0, O(exc_error)
	cmpw $O(to_real), O(after_flags)
	je 1f
	mov $0x27d00, %ecx              /* vectors with an error code: 8, 10-14, 17 */
	bt %eax, %ecx
	jnc 1f
	movzwl %ss:(%bp), %ecx
	mov %ecx, O(exc_error)
	add $2, %bp
1:	movzwl %ss:(%bp), %ecx
	mov %ecx, O(exc_ip)
	movzwl %ss:4(%bp), %ecx
	mov %ecx, O(eflags)
	add $6, %bp
	mov %esp, %ecx
	mov %bp, %cx
	mov %ecx, O(gpr) + 16
	movl $1, O(exc_flag)
	mov %cs:O(thunk_sel), %ss
	mov $O(stack_top), %sp
	jmp *%cs:O(after_back)

	.align 4
	.global exc_flag, exc_vector, exc_error, exc_ip
exc_flag:	.long 0
exc_vector:	.long 0
exc_error:	.long 0
exc_ip:		.long 0
seg_state:
gpr:		.fill 8, 4, 0
eflags:		.long 0
cr0_prot:	.long 0
cr0_real:	.long 0
saved_esp:	.long 0
out_ptr:	.long 0
vec_mode:	.long 0
slot_ptr:	.word 0x8000
after_flags:	.word 0
after_back:	.word 0
thunk_sel:	.word 0
seg_sel:	.fill 6, 2, 0   /* selectors for ES CS SS DS FS GS (CS unused) */
	.align 16
	.fill 64, 1, 0
stack_top:

	.section .note.GNU-stack, "", @progbits
