; syscall_heavy: 200000 INT 0x80 system calls from ring 3 through a DPL 3 trap
; gate; the kernel counts them and returns the running count in EAX.
%include "common.inc"

N equ 200000

main:
        PRINT "syscall_heavy", 10
        mov eax, 0x80
        mov edx, sys_count
        mov cl, GATE_TRAP3
        call idt_set
        mov eax, user_loop
        mov ecx, 0x202
        call ring3_call
        PRINT "syscalls="
        DEC [counter]
        PRINT " sum of returns="
        H8 [user_sum]
        NL
        ret

user_loop:
        mov ecx, N
        xor esi, esi
.loop:  int 0x80
        add esi, eax
        loop .loop
        mov [user_sum], esi
        RING3_EXIT

sys_count:
        inc dword [ss:counter]
        mov eax, [ss:counter]
        iretd

section .data
        align 4
counter:  dd 0
user_sum: dd 0
