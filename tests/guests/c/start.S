/* Multiboot v1 entry for the freestanding C guests.
 * QEMU (-kernel) and Translator load the ELF at 1 MiB and jump to _start in
 * 32-bit protected mode, paging off, flat CS=0x08 / DS=0x10, EAX=0x2BADB002,
 * EBX=multiboot info. We zero .bss, switch to our own 16 KiB stack, call
 * main(magic, mbinfo) and hand its return value to rt_exit (port 0xF4). */

    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0x00000003          /* bit0: page-align modules, bit1: memory info */

    .section .multiboot, "a"
    .p2align 2
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .bss
    .p2align 4
stack_bottom:
    .skip 16384
stack_top:

    .section .text
    .globl _start
    .type _start, @function
_start:
    cli
    cld
    movl %eax, %esi                    /* keep magic and mbinfo across the .bss clear */
    movl %ebx, %edx
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    movl $stack_top, %esp
    xorl %ebp, %ebp
    pushl %edx                         /* main(uint32_t magic, void *mbinfo) */
    pushl %esi
    call main
    addl $8, %esp
    pushl %eax
    call rt_exit
1:  hlt
    jmp 1b
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
