; unassigned: what memory no RAM or device decodes gives on QEMU's PC (-m 128): reads of zero at every width and
; writes that vanish, also through a stack there (push/pop). The stack and pointers of a runaway guest end up here.
%include "common.inc"

UNASSIGNED equ 0x0C000000          ; 192 MiB: past the 128 MiB of RAM, far from the APIC, I/O APIC and BIOS

main:
        PRINT "unassigned", 10
        mov eax, [UNASSIGNED]
        PRINT "read32="
        H8 eax
        mov dword [UNASSIGNED + 0x10], 0x12345678
        mov eax, [UNASSIGNED + 0x10]
        PRINT " after write="
        H8 eax
        movzx eax, word [UNASSIGNED + 0x22]
        PRINT " read16="
        H4 eax
        movzx eax, byte [UNASSIGNED + 0x33]
        PRINT " read8="
        H2 eax
        NL
        mov ebx, esp
        mov esp, UNASSIGNED + 0x100
        push dword 0xCAFEBABE
        pop ecx
        mov esp, ebx
        PRINT "push/pop="
        H8 ecx
        NL
        ret
