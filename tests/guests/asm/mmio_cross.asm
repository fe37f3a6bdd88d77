; mmio_cross: instructions whose memory operand is on a device page (pc-testdev's scratch RAM at 0xFF000000),
; as kvm-unit-tests' emulator uses them: accesses straddling the device page and a RAM page, and LTR whose
; selector is read from the device page; then, as kvm-unit-tests' test_crosspage_mmio and test_string_io_mmio,
; accesses straddling two linear pages that both map pc-testdev's one page (a 2-byte read and write, a 4-byte
; read-modify-write) and REP INSB of 1024 bytes from pc-testdev's port across them. Run with --device pc-testdev.
%include "common.inc"

PG_P    equ 0x001
PG_RW   equ 0x002
PG_PS   equ 0x080
DEV     equ 0x00400000          ; linear page -> 0xFF000000 (pc-testdev scratch)
RAMPG   equ 0x00401000          ; linear page -> frame (RAM)
DEVA    equ 0x00402000          ; linear pages DEVA and DEVA + 4096 both -> 0xFF000000

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
        mov dword [pt + 2 * 4], 0xFF000000 | PG_RW | PG_P
        mov dword [pt + 3 * 4], 0xFF000000 | PG_RW | PG_P
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
        call two_device_pages
        ret

; Both bytes of each access are on pc-testdev's page: DEVA + 0xFFF is its last byte, DEVA + 0x1000 its first.
two_device_pages:
        mov byte [DEVA + 0xFFF], 0x99
        mov byte [DEVA + 0x1000], 0x77
        PRINT "read word across two device pages: "
        TRY
        mov ax, [DEVA + 0xFFF]
        ENDTRY
        H4 eax
        NL
        PRINT "write word across two device pages: "
        TRY
        mov word [DEVA + 0xFFF], 0x88AA
        ENDTRY
        movzx eax, byte [DEVA + 0xFFF]
        H2 eax
        movzx eax, byte [DEVA]
        H2 eax
        NL
        PRINT "add dword across two device pages: "
        mov dword [DEVA + 0xFFC], 0x44332211
        mov dword [DEVA + 0x1000], 0x88776655
        TRY
        add dword [DEVA + 0xFFE], 0x01010101
        ENDTRY
        mov eax, [DEVA + 0xFFC]
        H8 eax
        mov eax, [DEVA]
        H8 eax
        NL
        PRINT "rep insb across two device pages: "
        mov dword [DEVA + 959], 0
        mov dword [DEVA + 4032], 0
        mov ax, 0x9999
        mov dx, 0xE0
        out dx, ax
        mov edi, DEVA + 4032
        mov ecx, 1024
        cld
        TRY
        rep insb
        ENDTRY
        H8 ecx
        PRINT " "
        lea eax, [edi - DEVA]
        H8 eax
        PRINT " "
        mov eax, [DEVA + 4032 + 1020]
        H8 eax
        mov eax, [DEVA + 4032]
        H8 eax
        movzx eax, byte [DEVA + 960]
        H2 eax
        NL
        ret

section .bss
alignb 4096
pd:     resb 4096
pt:     resb 4096
frame:  resb 4096
