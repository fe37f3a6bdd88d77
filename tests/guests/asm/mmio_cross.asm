; mmio_cross: instructions whose memory operand is on a device page (pc-testdev's scratch RAM at 0xFF000000),
; as kvm-unit-tests' emulator uses them: accesses straddling the device page and a RAM page, and LTR whose
; selector is read from the device page. Run with --device pc-testdev.
%include "common.inc"

PG_P    equ 0x001
PG_RW   equ 0x002
PG_PS   equ 0x080
DEV     equ 0x00400000          ; linear page -> 0xFF000000 (pc-testdev scratch)
RAMPG   equ 0x00401000          ; linear page -> frame (RAM)

main:
        PRINT "mmio_cross", 10
        mov dword [pd + 0 * 4], 0 | PG_PS | PG_RW | PG_P
        mov eax, pt
        or eax, PG_RW | PG_P
        mov [pd + 1 * 4], eax
        mov dword [pt + 0 * 4], 0xFF000000 | PG_RW | PG_P
        mov eax, frame
        or eax, PG_RW | PG_P
        mov [pt + 1 * 4], eax
        mov eax, cr4
        or eax, 0x10
        mov cr4, eax
        mov eax, pd
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        mov byte [DEV + 0xFFF], 0x99
        mov byte [RAMPG], 0x77
        PRINT "read word across: "
        TRY
        mov ax, [DEV + 0xFFF]
        ENDTRY
        H4 eax
        NL
        PRINT "write dword across: "
        TRY
        mov dword [DEV + 0xFFE], 0x11223344
        ENDTRY
        movzx eax, word [DEV + 0xFFE]
        H4 eax
        movzx eax, word [RAMPG]
        H4 eax
        NL
        PRINT "ltr from device page: "
        str eax
        mov [DEV + 0x10], ax
        and dword [gdt + SEL_TSS + 4], ~0x200
        TRY
        ltr [DEV + 0x10]
        ENDTRY
        str eax
        H4 eax
        NL
        ret

section .bss
alignb 4096
pd:     resb 4096
pt:     resb 4096
frame:  resb 4096
